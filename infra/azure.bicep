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

param webAppSku string = 'B1'
param botDisplayName string = 'Safety Sync'
param location string = resourceGroup().location

var serverfarmsName = resourceBaseName
var webAppName = resourceBaseName
var postgresName = '${resourceBaseName}-pg'
var databaseName = 'safetysync'

resource postgres 'Microsoft.DBforPostgreSQL/flexibleServers@2023-06-01-preview' = {
  name: postgresName
  location: location
  sku: {
    name: 'Standard_B1ms'
    tier: 'Burstable'
  }
  properties: {
    version: '16'
    administratorLogin: postgresAdminLogin
    administratorLoginPassword: postgresAdminPassword
    storage: {
      storageSizeGB: 32
    }
    backup: {
      backupRetentionDays: 14
      geoRedundantBackup: 'Disabled'
    }
    highAvailability: {
      mode: 'Disabled'
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
    name: webAppSku
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
      appCommandLine: 'npx safety-sync serve'
      appSettings: [
        { name: 'WEBSITE_RUN_FROM_PACKAGE', value: '1' }
        { name: 'PORT', value: '8080' }
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
