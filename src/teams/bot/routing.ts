/**
 * Routing (the teams.ts `app.routing` part): which handler takes which activity. Pure wiring; every
 * handler lives in its own part.
 */
import { ActivityTypes, CardFactory, INVOKE_RESPONSE_KEY } from 'botbuilder';
import type { Application, TurnState } from '@microsoft/teams-ai';
import { helpCard } from '../cards.ts';
import { CARD_VERBS, onCardAction } from './card-flow.ts';
import { badRequestAnswer, isInvoke, sendAnswer, turnLang, type BotContext } from './context.ts';
import { onMessage } from './messages.ts';
import { onSignInFailure, onTokenExchange, onVerifyState } from './oauth.ts';

export function registerRoutes(app: Application<TurnState>, ctx: BotContext): void {
  app.error(async (context, error) => {
    ctx.log.error('teams.turn_failed', { type: context.activity.type, name: context.activity.name, error });
    if (context.activity.type === ActivityTypes.Invoke && !context.turnState.get(INVOKE_RESPONSE_KEY)) {
      await sendAnswer(context, { status: 500 });
    }
  });
  app.conversationUpdate('membersAdded', async (context) => {
    const added = context.activity.membersAdded ?? [];
    if (added.some((m) => m.id === context.activity.recipient?.id)) {
      await context.sendActivity({ attachments: [CardFactory.adaptiveCard(helpCard(turnLang(ctx, context.activity)))] });
    }
  });
  app.addRoute(async (c) => isInvoke(c, 'signin/tokenExchange'), (c) => onTokenExchange(ctx, c), true);
  app.addRoute(async (c) => isInvoke(c, 'signin/verifyState'), (c) => onVerifyState(ctx, c), true);
  app.addRoute(async (c) => isInvoke(c, 'signin/failure'), (c) => onSignInFailure(ctx, c), true);
  app.adaptiveCards.actionExecute([...CARD_VERBS], async (context, _state, data) => {
    const verb = (context.activity.value as { action?: { verb?: unknown } }).action?.verb;
    await sendAnswer(context, await onCardAction(ctx, context, verb, data));
    return '';
  });
  // Any other card action (an unknown verb, a forged invoke) is refused.
  app.addRoute(async (c) => isInvoke(c, 'adaptiveCard/action'), async (c) => sendAnswer(c, badRequestAnswer('Unknown card action.')), true);
  app.activity(ActivityTypes.Message, async (context) => onMessage(ctx, context));
}
