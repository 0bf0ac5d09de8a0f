// The @mention picker of the composer (internal notes only): typing "@" offers the people and
// teams who can see the conversation; choosing one writes a readable "@Name" into the text and
// remembers the mention ({type, id}) that is sent with the note if "@Name" is still in it.

import { h, mount } from "../dom.js";
import { t } from "../i18n.js";

const MAX_SHOWN = 8;
const QUERY = /(^|\s)@([^\s@]{0,40})$/u;

let nextId = 0;

export class MentionPicker {
  /**
   * @param {HTMLTextAreaElement} input the composer's text area
   * @param {() => Promise<{users: {id, name}[], teams: {id, name}[]}>} candidates
   * @param {() => boolean} active whether mentions apply now (the composer writes a note)
   * @param {() => number} self the signed-in agent's id (not offered)
   */
  constructor(input, candidates, active, self) {
    this.input = input;
    this.candidates = candidates;
    this.active = active;
    this.self = self;
    this.chosen = []; // [{type, id, name}]
    this.options = [];
    this.index = 0;
    this.query = null;
    nextId += 1;
    this.el = h("ul", {
      id: `mention-list-${nextId}`,
      class: "mention-list",
      role: "listbox",
      "aria-label": t("mention.list"),
      hidden: true,
    });
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", this.el.id);
    input.addEventListener("input", () => this.update());
    input.addEventListener("blur", () => setTimeout(() => this.hide(), 150));
  }

  get open() {
    return !this.el.hidden;
  }

  async update() {
    const before = this.input.value.slice(0, this.input.selectionStart);
    const match = this.active() ? QUERY.exec(before) : null;
    if (!match) {
      this.hide();
      return;
    }
    const query = match[2].toLocaleLowerCase();
    this.query = match[2];
    const { users = [], teams = [] } = (await this.candidates()) || {};
    if (this.query !== match[2]) return; // typed on meanwhile
    const people = users
      .filter((u) => u.id !== this.self())
      .map((u) => ({ type: "user", id: u.id, name: u.name }));
    const groups = teams.map((team) => ({ type: "team", id: team.id, name: team.name }));
    this.options = [...people, ...groups]
      .filter((o) => o.name.toLocaleLowerCase().includes(query))
      .slice(0, MAX_SHOWN);
    this.index = 0;
    this.render();
  }

  render() {
    if (!this.options.length) {
      mount(this.el, h("li", { class: "mention-empty", text: t("mention.none") }));
      this.el.hidden = false;
      this.input.removeAttribute("aria-activedescendant");
      return;
    }
    mount(
      this.el,
      this.options.map((option, i) =>
        h(
          "li",
          {
            id: `${this.el.id}-${i}`,
            role: "option",
            class: "mention-option",
            "aria-selected": String(i === this.index),
            onmousedown: (event) => {
              event.preventDefault(); // keep the focus in the text area
              this.choose(option);
            },
          },
          h("span", { text: `@${option.name}` }),
          option.type === "team" ? h("span", { class: "muted", text: ` · ${t("mention.team")}` }) : null,
        ),
      ),
    );
    this.el.hidden = false;
    this.input.setAttribute("aria-activedescendant", `${this.el.id}-${this.index}`);
  }

  hide() {
    this.el.hidden = true;
    this.query = null;
    this.input.removeAttribute("aria-activedescendant");
  }

  /** Keys while the list is open; true if the picker used the key (the composer ignores it). */
  keydown(event) {
    if (!this.open) return false;
    if (event.key === "Escape") {
      this.hide();
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!this.options.length) return true;
      const step = event.key === "ArrowDown" ? 1 : -1;
      this.index = (this.index + step + this.options.length) % this.options.length;
      this.render();
    } else if ((event.key === "Enter" || event.key === "Tab") && !event.isComposing) {
      if (!this.options.length) {
        this.hide();
        return false;
      }
      this.choose(this.options[this.index]);
    } else return false;
    event.preventDefault();
    return true;
  }

  choose(option) {
    const caret = this.input.selectionStart;
    const before = this.input.value.slice(0, caret).replace(QUERY, (_, space) => `${space}@${option.name} `);
    this.input.value = before + this.input.value.slice(caret);
    this.input.setSelectionRange(before.length, before.length);
    if (!this.chosen.some((c) => c.type === option.type && c.id === option.id)) this.chosen.push(option);
    this.hide();
    this.input.focus();
  }

  /** The mentions still written in `text` (an "@Name" deleted from the text is not sent). */
  collect(text) {
    return this.chosen
      .filter((c) => text.includes(`@${c.name}`))
      .map(({ type, id }) => ({ type, id }));
  }

  reset() {
    this.chosen = [];
    this.hide();
  }
}
