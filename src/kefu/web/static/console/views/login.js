// The sign-in screen: email + password, readable errors for wrong credentials and rate limiting.

import { api, ApiError } from "../api.js";
import { h, labelled, mount } from "../dom.js";
import { LOCALES, locale, setLocale, t } from "../i18n.js";

export function renderLogin(root, onLoggedIn) {
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const email = h("input", {
    type: "email",
    name: "email",
    autocomplete: "username",
    required: true,
  });
  const password = h("input", {
    type: "password",
    name: "password",
    autocomplete: "current-password",
    required: true,
  });
  const submit = h("button", { type: "submit", class: "btn btn-primary btn-block" }, t("login.submit"));
  const language = h(
    "select",
    { name: "language", onchange: () => setLocale(language.value) },
    LOCALES.map(([value, label]) => h("option", { value, selected: value === locale() }, label)),
  );

  async function onSubmit(event) {
    event.preventDefault();
    error.hidden = true;
    submit.disabled = true;
    submit.textContent = t("login.busy");
    try {
      const session = await api.login(email.value.trim(), password.value);
      onLoggedIn(session);
    } catch (exc) {
      let message = exc.message;
      if (exc instanceof ApiError && exc.status === 429 && exc.retryAfter) {
        message = t("err.rate", { n: exc.retryAfter });
      }
      error.textContent = message;
      error.hidden = false;
      password.select();
    } finally {
      submit.disabled = false;
      submit.textContent = t("login.submit");
    }
  }

  const form = h(
    "form",
    { class: "login-card", onsubmit: onSubmit, "aria-labelledby": "login-title" },
    h("div", { class: "brand brand-lg", "aria-hidden": "true" }, "客"),
    h("h1", { id: "login-title", text: t("login.title") }),
    error,
    labelled(t("login.email"), email),
    labelled(t("login.password"), password),
    submit,
    h("div", { class: "login-lang" }, labelled(t("login.language"), language)),
  );
  mount(root, h("main", { class: "login-page" }, form));
  email.focus();
}
