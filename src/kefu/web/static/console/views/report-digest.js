// The report summary by email (supervisors and admins): off / daily / weekly, at 08:00 in the
// chosen time zone, in the account's language. A section of the profile page; it loads its own
// setting, so the page around it never waits for it.

import { request } from "../api.js";
import { guard, h, labelled, mount, toast } from "../dom.js";
import { t } from "../i18n.js";
import { wallboardStyles } from "./wallboard.js";

const PATH = "/api/v1/reports/digest";
const FREQUENCIES = ["off", "daily", "weekly"];

function browserTimezone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/** "25 Nov 2026, 08:00 (Asia/Taipei)": a moment as the digest's own time zone reads it. */
function inZone(iso, zone) {
  const lang = document.documentElement.lang || undefined;
  try {
    const text = new Date(iso).toLocaleString(lang, {
      timeZone: zone,
      dateStyle: "medium",
      timeStyle: "short",
    });
    return `${text} (${zone})`;
  } catch {
    return new Date(iso).toLocaleString(lang);
  }
}

export function reportDigestSection() {
  wallboardStyles(); // the reports' stylesheet carries this form's few rules
  const body = h("div", { class: "digest-body" });
  const section = h(
    "section",
    { class: "card form-card digest-card", "aria-labelledby": "digest-title" },
    h("h2", { id: "digest-title", text: t("digest.title") }),
    h("p", { class: "hint", text: t("digest.intro") }),
    body,
  );
  load(body);
  return section;
}

async function load(body) {
  const setting = await guard(request("GET", PATH));
  if (setting) render(body, setting);
}

function render(body, setting) {
  const radios = FREQUENCIES.map((value) =>
    h("input", {
      type: "radio",
      name: "digest-frequency",
      value,
      checked: setting.frequency === value,
    }),
  );
  const zone = h("input", {
    name: "digest-timezone",
    value: setting.timezone || browserTimezone(),
    list: "digest-timezones",
    maxlength: "64",
    required: true,
    autocomplete: "off",
  });
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  const status = h("p", { class: "hint digest-status", role: "status" });
  status.append(
    ...[
      setting.next_due_at ? t("digest.next", { time: inZone(setting.next_due_at, setting.timezone) }) : "",
      setting.last_sent_at
        ? t("digest.last", { time: inZone(setting.last_sent_at, setting.timezone || browserTimezone()) })
        : "",
    ]
      .filter(Boolean)
      .flatMap((line, i) => (i ? [h("br"), line] : [line])),
  );
  const onsubmit = async (event) => {
    event.preventDefault();
    const frequency = radios.find((r) => r.checked)?.value || "off";
    const saved = await guard(request("PUT", PATH, { frequency, timezone: zone.value.trim() }));
    if (!saved) return;
    toast(t("digest.saved"), "ok");
    render(body, saved);
    body.querySelector("input[name=digest-frequency]:checked")?.focus();
  };
  mount(
    body,
    h(
      "form",
      { class: "digest-form", onsubmit, "aria-labelledby": "digest-title" },
      h(
        "fieldset",
        { class: "digest-frequency" },
        h("legend", { text: t("digest.frequency") }),
        FREQUENCIES.map((value, i) =>
          h("label", { class: "notify-check" }, radios[i], t(`digest.${value}`)),
        ),
      ),
      labelled(t("digest.timezone"), zone, t("digest.timezoneHint")),
      h("datalist", { id: "digest-timezones" }, zones.map((z) => h("option", { value: z }))),
      h("p", { class: "hint", text: t("digest.language") }),
      setting.email_enabled ? null : h("p", { class: "hint digest-no-email", text: t("digest.noEmail") }),
      status,
      h("button", { type: "submit", class: "btn btn-primary", text: t("digest.save") }),
    ),
  );
}
