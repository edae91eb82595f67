// CreateTags: sets tags on snapshots and volumes of the region, all of them or, if any id is
// unknown or a limit is hit, none.
import { WireError } from "../../wire-error.js";
import type { Tag } from "../model.js";
import { missingParameter, snapshotNotFound, volumeNotFound } from "../wire/errors.js";
import type { Operation } from "./context.js";
import { tagsFromCreateTags, withTags } from "./tags.js";

export const createTags: Operation = {
  changesState: true,
  run({ region, params, store }) {
    const resourceIds = params.list("ResourceId");
    if (resourceIds.length === 0) throw missingParameter("ResourceId.1");
    const tags = tagsFromCreateTags(params);
    const world = store.peekRegion(region);
    const resources: { tags: Tag[] }[] = resourceIds.map((id) => {
      if (id.startsWith("snap-")) {
        const snapshot = world?.snapshots.get(id);
        if (!snapshot) throw snapshotNotFound([id]);
        return snapshot;
      }
      if (id.startsWith("vol-")) {
        const volume = world?.volumes.get(id);
        if (!volume) throw volumeNotFound([id]);
        return volume;
      }
      throw new WireError(
        "InvalidID",
        `The ID '${id}' is not valid: the local cloud tags snapshots (snap-…) and volumes (vol-…).`,
      );
    });
    // Every new tag set is worked out (and checked against the limit) before any is applied.
    const updates = resources.map((resource) => ({
      resource,
      tags: withTags(resource.tags, tags),
    }));
    for (const update of updates) update.resource.tags = update.tags;
    return { return: true };
  },
};
