'use strict';
/**
 * n8n in queue mode with this package loaded, behind nginx, with PostgreSQL and Redis: the stack of
 * scripts/n8n-stack.cjs with `queue: true` (what it adds lives in stack/queueInfrastructure.cjs).
 * What `npm run dev -- --queue` runs and what test/e2e/queue.test.ts runs against.
 *
 *   const stack = await startQueueStack({ dataDir, fresh: true });
 *   ... stack.n8nUrl (nginx), stack.webhookProcessUrls, stack.sql('SELECT ...'), stack.restart() ...
 *   await stack.stop();
 */
const { PACKAGE_NAME, startStack } = require('./n8n-stack.cjs');
const { nginxConfig, APP_DB_CREDENTIAL, APP_TABLES_SQL, QUEUE_EXAMPLES_DIR } = require('./stack/queueInfrastructure.cjs');

/** startStack's options (queue mode's among them); the sandbox on a free port unless given. */
const startQueueStack = (options = {}) => startStack({ ...options, queue: true });

module.exports = { startQueueStack, nginxConfig, APP_DB_CREDENTIAL, APP_TABLES_SQL, QUEUE_EXAMPLES_DIR, PACKAGE_NAME };
