'use strict';
// Preloaded (--require) into a benchmark's worker process by `npm run bench:scale -- --stand-in-page`: once a source's
// page has come back idle (caught up, nothing fetched), its later pages are answered with that same summary, without a
// request or a statement. The cycle is then what the SDK and its core cost for a timer and a local activity, with the
// product's page taken out: the floor under the idle cycle. A measuring aid only: the product never loads it.
const { isMainThread } = require('node:worker_threads');

if (isMainThread) {
  const { Worker } = require(require.resolve('@temporalio/worker', { paths: [__dirname] }));
  const create = Worker.create;
  Worker.create = function (options) {
    const realPage = options.activities?.ingestPage;
    if (!realPage) return create.call(this, options);
    const idleSummary = new Map();
    const standIn = async function ingestPage(input) {
      const known = idleSummary.get(input.sourceId);
      if (known) return known;
      const summary = await realPage(input);
      if (summary.fetched === 0 && !summary.hasMore && summary.backfillCompleted) idleSummary.set(input.sourceId, summary);
      return summary;
    };
    return create.call(this, { ...options, activities: { ...options.activities, ingestPage: standIn } });
  };
}
