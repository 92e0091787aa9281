import { dropTestSchemas } from './helpers/databases.ts';

export const mochaHooks = {
  async afterAll() {
    await dropTestSchemas();
  },
};
