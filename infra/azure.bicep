// Safety Sync on Azure: App Service (Node 20) running `safety-sync serve`, an Azure Bot
// with the Teams channel, and PostgreSQL Flexible Server shared by every instance
// (pending plans, locks, delta links and bot state live there, never in memory).
@maxLength(20)
@minLength(4)
@description('Used to generate names for all resources in this file')
param resourceBaseName string

@description('Entra app registration of the bot (single tenant)')
param botAadAppClientId string

@secure()
param botAadAppClientSecret string

@description('Entra app registration for Teams SSO and on-behalf-of Graph access')
param aadAppClientId string

@secure()
param aadAppClientSecret string

param aadAppTenantId string
param aadAppOauthAuthorityHost string = 'https://login.microsoftonline.com'

@secure()
@description('Bearer key for the admin REST API (/api/v1)')
param safetyApiKey string

param postgresAdminLogin string = 'safetysync'

@secure()
param postgresAdminPassword string

@allowed([
  'users1k'
  'users10k'
  'users100k'
])
@description('Size for the number of users of the largest company served (README, "Deployment and sizing"): up to 1,000, 10,000 or 100,000')
param sizeFor string = 'users1k'

@description('Overrides the App Service plan SKU of the size (empty: from the table)')
param webAppSku string = ''

@description('Overrides the number of App Service instances of the size (0: from the table)')
@minValue(0)
@maxValue(10)
param webAppInstances int = 0

param botDisplayName string = 'Safety Sync'
param location string = resourceGroup().location

// Sizing (README, "Deployment and sizing"). Figures behind it, from docs/benchmarks.md and the
// measurements in issue 9 (2-core build machine, PostgreSQL): a 20,000-user first import applies in
// about 4 s; a 100,000-user first import applies in 23-32 s with a peak RSS of 0.96-1.0 GB for
// `safety-sync apply` (a bare insert process: 160 MB); SCIM serves about 149 requests/s per
// process on PostgreSQL. Memory is what decides the App Service size: the Node heap limit is set to
// about half of the instance's memory, leaving the rest to buffers and the runtime. Two or more
// instances behind the App Service load balancer share one PostgreSQL (plans, locks, delta links,
// bot state are in the database); B4 keeps one import per company across them.
var sizes = {
  users1k: {
    webAppSku: 'B1' // 1 vCPU, 1.75 GB: peak ~0.2 GB for a 1,000-user import
    webAppInstances: 1
    nodeMaxOldSpaceMb: 768
    postgresSku: 'Standard_B1ms' // Burstable, 1 vCore, 2 GiB, max 50 connections
    postgresTier: 'Burstable'
    postgresStorageGb: 32
    postgresHighAvailability: 'Disabled'
  }
  users10k: {
    webAppSku: 'P0v3' // 1 vCPU, 4 GB: peak ~0.3 GB for a 10,000-user import, room for SCIM bursts
    webAppInstances: 2
    nodeMaxOldSpaceMb: 2048
    postgresSku: 'Standard_B2ms' // Burstable, 2 vCores, 8 GiB
    postgresTier: 'Burstable'
    postgresStorageGb: 64
    postgresHighAvailability: 'Disabled'
  }
  users100k: {
    webAppSku: 'P1v3' // 2 vCPU, 8 GB: peak ~1.0 GB for a 100,000-user first import today
    webAppInstances: 2
    nodeMaxOldSpaceMb: 4096
    postgresSku: 'Standard_D2ds_v5' // General Purpose, 2 vCores, 8 GiB, steady CPU for bulk writes
    postgresTier: 'GeneralPurpose'
    postgresStorageGb: 128 // 500 baseline IOPS (32 GB: 120): the first import writes ~100,000 users and change-log rows
    postgresHighAvailability: 'ZoneRedundant'
  }
}
var size = sizes[sizeFor]
var appServiceSku = empty(webAppSku) ? size.webAppSku : webAppSku
var appServiceInstances = webAppInstances == 0 ? size.webAppInstances : webAppInstances

var serverfarmsName = resourceBaseName
var webAppName = resourceBaseName
var postgresName = '${resourceBaseName}-pg'
var databaseName = 'safetysync'

resource postgres 'Microsoft.DBforPostgreSQL/flexibleServers@2023-06-01-preview' = {
  name: postgresName
  location: location
  sku: {
    name: size.postgresSku
    tier: size.postgresTier
  }
  properties: {
    version: '16'
    administratorLogin: postgresAdminLogin
    administratorLoginPassword: postgresAdminPassword
    storage: {
      storageSizeGB: size.postgresStorageGb
    }
    backup: {
      backupRetentionDays: 14
      geoRedundantBackup: 'Disabled'
    }
    highAvailability: {
      mode: size.postgresHighAvailability
    }
  }
}

resource postgresDatabase 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2023-06-01-preview' = {
  parent: postgres
  name: databaseName
  properties: {
    charset: 'UTF8'
    collation: 'en_US.utf8'
  }
}

// Only Azure services (the App Service) may connect.
resource postgresFirewall 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules@2023-06-01-preview' = {
  parent: postgres
  name: 'AllowAzureServices'
  properties: {
    startIpAddress: '0.0.0.0'
    endIpAddress: '0.0.0.0'
  }
}

resource serverfarm 'Microsoft.Web/serverfarms@2022-09-01' = {
  kind: 'app,linux'
  location: location
  name: serverfarmsName
  sku: {
    name: appServiceSku
    capacity: appServiceInstances
  }
  properties: {
    reserved: true
  }
}

resource webApp 'Microsoft.Web/sites@2022-09-01' = {
  kind: 'app,linux'
  location: location
  name: webAppName
  properties: {
    serverFarmId: serverfarm.id
    httpsOnly: true
    siteConfig: {
      linuxFxVersion: 'NODE|20-lts'
      alwaysOn: true
      ftpsState: 'Disabled'
      minTlsVersion: '1.2'
      // The compiled build (dist/, made by `npm ci` through `prepare`): no TypeScript compiled at start.
      appCommandLine: 'node bin/safety-sync.mjs serve'
      // Instances that are not ready (database unreachable, migrations behind) get no traffic.
      healthCheckPath: '/readyz'
      appSettings: [
        { name: 'WEBSITE_RUN_FROM_PACKAGE', value: '1' }
        { name: 'PORT', value: '8080' }
        { name: 'NODE_OPTIONS', value: '--max-old-space-size=${size.nodeMaxOldSpaceMb}' }
        { name: 'SAFETY_API_KEY', value: safetyApiKey }
        {
          name: 'DATABASE_URL'
          value: 'postgres://${postgresAdminLogin}:${uriComponent(postgresAdminPassword)}@${postgres.properties.fullyQualifiedDomainName}:5432/${databaseName}?sslmode=require'
        }
        { name: 'BOT_ID', value: botAadAppClientId }
        { name: 'BOT_PASSWORD', value: botAadAppClientSecret }
        { name: 'BOT_TENANT_ID', value: aadAppTenantId }
        { name: 'AAD_APP_CLIENT_ID', value: aadAppClientId }
        { name: 'AAD_APP_CLIENT_SECRET', value: aadAppClientSecret }
        { name: 'AAD_APP_TENANT_ID', value: aadAppTenantId }
        { name: 'AAD_APP_OAUTH_AUTHORITY_HOST', value: aadAppOauthAuthorityHost }
        { name: 'PUBLIC_BASE_URL', value: 'https://${webAppName}.azurewebsites.net' }
      ]
    }
  }
}

resource bot 'Microsoft.BotService/botServices@2021-03-01' = {
  kind: 'azurebot'
  location: 'global'
  name: resourceBaseName
  properties: {
    displayName: botDisplayName
    endpoint: 'https://${webApp.properties.defaultHostName}/api/messages'
    msaAppId: botAadAppClientId
    msaAppType: 'SingleTenant'
    msaAppTenantId: aadAppTenantId
  }
  sku: {
    name: 'F0'
  }
}

resource botTeamsChannel 'Microsoft.BotService/botServices/channels@2021-03-01' = {
  parent: bot
  location: 'global'
  name: 'MsTeamsChannel'
  properties: {
    channelName: 'MsTeamsChannel'
  }
}

output BOT_AZURE_APP_SERVICE_RESOURCE_ID string = webApp.id
output BOT_DOMAIN string = webApp.properties.defaultHostName
output TAB_ENDPOINT string = 'https://${webApp.properties.defaultHostName}'
output POSTGRES_HOST string = postgres.properties.fullyQualifiedDomainName
output SIZE_FOR string = sizeFor
output WEB_APP_SKU string = appServiceSku
output WEB_APP_INSTANCES int = appServiceInstances
output POSTGRES_SKU string = size.postgresSku
