/**
 * The bot's connection to the Bot Framework: teams-ai's TeamsAdapter (a botbuilder CloudAdapter)
 * configured for a single-tenant bot from the Teams Toolkit variables (BOT_ID, BOT_PASSWORD,
 * BOT_TENANT_ID).
 *
 * - With BOT_ID set every request must carry a valid Bot Framework JWT (signature from the
 *   channel's OpenID metadata, issuer, audience = BOT_ID, serviceUrl claim); anything else is 401.
 *   botbuilder answers 500 when the token is malformed or signed by an unknown key (its JWT library
 *   throws a plain error there); StrictAuthentication turns every authentication failure into 401.
 * - Without BOT_ID, anonymous requests are accepted only in demo mode (the Agents Playground);
 *   otherwise the endpoint refuses everything (createBotAdapter returns null).
 *
 * `botFrameworkOverrides` is the configuration seam ConfigurationBotFrameworkAuthentication reads
 * (ToBotFromChannelOpenIdMetadataUrl, ToBotFromChannelTokenIssuer, …): the tests point the OpenID
 * metadata at a local endpoint and sign activities with a local key; production leaves it empty.
 */
import { ConfigurationServiceClientCredentialFactory, StatusCodes, type Activity } from 'botbuilder';
import {
  AuthenticationError,
  BotFrameworkAuthentication,
  type AuthenticateRequestResult,
  type BotFrameworkClient,
  type ClaimsIdentity,
  type ConnectorFactory,
  type ServiceClientCredentialsFactory,
  type UserTokenClient,
} from 'botframework-connector';
import { TeamsAdapter } from '@microsoft/teams-ai';

export interface BotAuthSettings {
  botId?: string;
  botPassword?: string;
  botTenantId?: string;
  /** Accept unauthenticated requests when botId is unset (demo mode only). */
  allowAnonymous: boolean;
  /** ConfigurationBotFrameworkAuthentication keys to override (tests: a local OpenID metadata URL). */
  botFrameworkOverrides?: Record<string, string>;
  /** Outbound credentials (tests: a local connector service). Default: from BOT_ID/BOT_PASSWORD/BOT_TENANT_ID. */
  credentialsFactory?: ServiceClientCredentialsFactory;
}

/** Every failure to authenticate an incoming request is a 401, never a 500 with a stack. */
export class StrictAuthentication extends BotFrameworkAuthentication {
  constructor(private readonly inner: BotFrameworkAuthentication) {
    super();
  }
  override async authenticateRequest(activity: Activity, authHeader: string): Promise<AuthenticateRequestResult> {
    try {
      return await this.inner.authenticateRequest(activity, authHeader);
    } catch (e) {
      if (e instanceof AuthenticationError) throw e;
      throw new AuthenticationError('Unauthorized. The request token could not be validated.', StatusCodes.UNAUTHORIZED);
    }
  }
  override async authenticateStreamingRequest(authHeader: string, channelIdHeader: string): Promise<AuthenticateRequestResult> {
    try {
      return await this.inner.authenticateStreamingRequest(authHeader, channelIdHeader);
    } catch (e) {
      if (e instanceof AuthenticationError) throw e;
      throw new AuthenticationError('Unauthorized. The request token could not be validated.', StatusCodes.UNAUTHORIZED);
    }
  }
  override authenticateChannelRequest(authHeader: string): Promise<ClaimsIdentity> {
    return this.inner.authenticateChannelRequest(authHeader);
  }
  override createConnectorFactory(claimsIdentity: ClaimsIdentity): ConnectorFactory {
    return this.inner.createConnectorFactory(claimsIdentity);
  }
  override createUserTokenClient(claimsIdentity: ClaimsIdentity): Promise<UserTokenClient> {
    return this.inner.createUserTokenClient(claimsIdentity);
  }
  override createBotFrameworkClient(): BotFrameworkClient {
    return this.inner.createBotFrameworkClient();
  }
  override getOriginatingAudience(): string {
    return this.inner.getOriginatingAudience();
  }
}

export class SafetyBotAdapter extends TeamsAdapter {
  constructor(config: Record<string, string>, credentialsFactory?: ServiceClientCredentialsFactory) {
    super(config, credentialsFactory);
    // CloudAdapterBase keeps its authentication in a protected field: wrap it once, here.
    const self = this as unknown as { botFrameworkAuthentication: BotFrameworkAuthentication };
    self.botFrameworkAuthentication = new StrictAuthentication(self.botFrameworkAuthentication);
  }
}

/** The adapter, or null when the endpoint must refuse every request (no BOT_ID outside demo mode). */
export function createBotAdapter(settings: BotAuthSettings): SafetyBotAdapter | null {
  const botId = settings.botId?.trim();
  if (!botId && !settings.allowAnonymous) return null;
  const config: Record<string, string> = botId
    ? {
        MicrosoftAppId: botId,
        MicrosoftAppPassword: settings.botPassword ?? '',
        MicrosoftAppType: settings.botTenantId ? 'SingleTenant' : 'MultiTenant',
        ...(settings.botTenantId ? { MicrosoftAppTenantId: settings.botTenantId } : {}),
        ...settings.botFrameworkOverrides,
      }
    : { ...settings.botFrameworkOverrides };
  const credentials =
    settings.credentialsFactory ?? new ConfigurationServiceClientCredentialFactory(config as ConstructorParameters<typeof ConfigurationServiceClientCredentialFactory>[0]);
  return new SafetyBotAdapter(config, credentials);
}
