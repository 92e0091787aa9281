/** The bot's words: see ./i18n/ (formatting, markdown, glossary, issue renderers, catalogues). */
export * from './i18n/index.ts';
