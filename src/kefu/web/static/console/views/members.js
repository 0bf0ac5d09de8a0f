// A labelled group of checkboxes to pick members (teams and inboxes).

import { checkGroup } from "./forms.js";

export function memberPicker(legend, users, selectedIds) {
  return checkGroup(
    legend,
    users.map((user) => [user.id, user.name]),
    selectedIds,
    Number,
  );
}
