// web/settings-form.js - a connector's settings form, generated from the schema the API
// sends with GET /api/connectors/:slug ("settings": [{key, label, type, required, secret,
// awaitable, default, allowed, format, expected, min, max, help}]).
//
//   string        a text input         int        a number input
//   url           a URL input, shown as typed; a sensitive one (a Slack webhook URL) is
//                 stored like a secret: its placeholder is the masked stored value
//   secret        a password input whose placeholder is the masked stored value
//   bool          a switch              enum       a select
//   string[]      a tag input (Enter or comma adds, Backspace on an empty entry removes)
//
// A stored secret left empty is not sent, and the server keeps it; any other field left
// empty is sent as null, which the server takes as "back to the default" (PUT config keeps
// only what a request leaves out). An awaitable field (a webhook secret the provider shows
// once the URL is registered) may stay empty on install.
//
// Validation is the server's: the form is novalidate and the API's field errors, which say
// what is expected in words, are shown under their fields (aria-invalid +
// aria-describedby), so the page never disagrees with it. The help line names the same
// expectation (the schema's `format`) before anything is sent.

import { h, uid } from './dom.js';

function isSecret(f) {
  return f.secret || f.type === 'secret';
}

// Joins help sentences, each ending in a full stop.
function sentences(...parts) {
  return parts.filter(Boolean).map((p) => (/[.!?]$/.test(p) ? p : `${p}.`)).join(' ');
}

function tagInput(id, initial, describedBy) {
  const tags = [];
  const list = h('ul', { class: 'tag-list', 'aria-label': 'Entries' });
  const entry = h('input', { id, type: 'text', class: 'tag-entry', autocomplete: 'off',
                             'aria-describedby': describedBy });

  // Tags are added and removed one element at a time, never re-rendered as a whole: a click
  // on a remove button blurs the entry (which commits it), and the button must still be
  // there when the click lands.
  function add(t) {
    if (!t || tags.includes(t)) return;
    tags.push(t);
    const li = h('li', { class: 'tag' }, h('span', {}, t),
      h('button', { type: 'button', class: 'tag-remove', 'aria-label': `Remove ${t}`,
                    onclick: () => remove(t, li, true) }, '×'));
    list.append(li);
    list.hidden = false;
  }

  function remove(t, li, refocus) {
    const i = tags.indexOf(t);
    if (i >= 0) tags.splice(i, 1);
    li.remove();
    list.hidden = tags.length === 0;
    if (refocus) entry.focus();
  }

  function commit() {
    for (const part of entry.value.split(',')) add(part.trim());
    entry.value = '';
  }

  entry.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' || ev.key === ',') {
      if (ev.key === ',' || entry.value.trim()) {
        ev.preventDefault();
        commit();
      }
    } else if (ev.key === 'Backspace' && entry.value === '' && tags.length) {
      remove(tags[tags.length - 1], list.lastElementChild, false);
    }
  });
  entry.addEventListener('blur', commit);
  for (const t of Array.isArray(initial) ? initial : []) add(String(t));
  list.hidden = tags.length === 0;
  const element = h('div', { class: 'tag-input' }, list, entry);
  element.addEventListener('click', (ev) => {
    if (ev.target === element) entry.focus();
  });
  return { element, control: entry, value: () => (commit(), tags.slice()) };
}

// One field: {element, control, key, value() -> [present, value], setError(msg)}.
function field(f, current, installed) {
  const id = uid(`set-${f.key}`);
  const helpId = `${id}-help`;
  const errId = `${id}-error`;
  const describedBy = `${helpId} ${errId}`;
  const secret = isSecret(f);
  let control;
  let value;
  let widget;
  let help = sentences(f.help, f.format ? `Format: ${f.format}` : '',
                       f.awaitable && !installed
                         ? 'You can install without it and save it once the provider shows it' : '');

  if (f.type === 'bool') {
    const on = current !== undefined ? current === true : f.default === true;
    control = h('input', { id, type: 'checkbox', role: 'switch', class: 'switch',
                           checked: on, 'aria-describedby': describedBy });
    value = () => [true, control.checked];
  } else if (f.type === 'enum') {
    const chosen = current ?? f.default ?? '';
    const options = (f.allowed || []).map((v) => h('option', { value: v, selected: v === chosen }, v));
    if (!f.required && f.default === undefined) options.unshift(h('option', { value: '' }, '(none)'));
    control = h('select', { id, 'aria-describedby': describedBy }, options);
    value = () => (control.value === '' ? [true, null] : [true, control.value]);
  } else if (f.type === 'string[]') {
    widget = tagInput(id, Array.isArray(current) ? current : f.default, describedBy);
    control = widget.control;
    help = sentences(help, 'Press Enter or a comma after each entry');
    value = () => {
      const tags = widget.value();
      return tags.length ? [true, tags] : [true, null];
    };
  } else if (secret) {
    // Only secrets are masked while typed; a sensitive URL is checked by eye, so it shows.
    const stored = installed && typeof current === 'string' && current !== '';
    const url = f.type === 'url';
    control = h('input', { id, type: url ? 'url' : 'password',
                           autocomplete: url ? 'off' : 'new-password', spellcheck: 'false',
                           placeholder: stored ? current : null, 'aria-describedby': describedBy,
                           'data-stored': stored ? 'true' : null });
    if (stored) help = sentences(help, `Leave empty to keep the stored value (${current})`);
    value = () => {
      const v = url ? control.value.trim() : control.value;
      return v === '' ? [false] : [true, v];
    };
  } else if (f.type === 'int') {
    control = h('input', { id, type: 'number', step: 1, inputmode: 'numeric',
                           min: f.min ?? null, max: f.max ?? null,
                           value: current ?? f.default ?? '', 'aria-describedby': describedBy });
    value = () => {
      const v = control.value.trim();
      if (v === '') return [true, null];
      const n = Number(v);
      return [true, Number.isFinite(n) ? n : v];
    };
  } else {
    control = h('input', { id, type: f.type === 'url' ? 'url' : 'text', spellcheck: 'false',
                           autocomplete: 'off', value: current ?? '',
                           placeholder: typeof f.default === 'string' ? f.default : null,
                           'aria-describedby': describedBy });
    value = () => {
      const v = control.value.trim();
      return v === '' ? [true, null] : [true, v];
    };
  }
  if (f.required && !(f.awaitable && !installed)) control.setAttribute('aria-required', 'true');

  const label = h('label', { for: id, class: 'field-label' }, f.label || f.key,
                  f.required && f.awaitable && !installed
                    ? h('span', { class: 'req' }, ' (required, may follow later)')
                    : f.required ? h('span', { class: 'req' }, ' (required)') : null);
  const helpEl = h('p', { id: helpId, class: 'help' }, help);
  const errEl = h('p', { id: errId, class: 'field-error', hidden: true });
  const element = f.type === 'bool'
    ? h('div', { class: 'field field-switch', 'data-field': f.key },
        h('div', { class: 'switch-row' }, control, label), helpEl, errEl)
    : h('div', { class: 'field', 'data-field': f.key }, label, widget ? widget.element : control,
        helpEl, errEl);

  function setError(msg) {
    errEl.textContent = msg || '';
    errEl.hidden = !msg;
    if (msg) control.setAttribute('aria-invalid', 'true');
    else control.removeAttribute('aria-invalid');
    element.classList.toggle('invalid', Boolean(msg));
  }
  return { key: f.key, element, control, value, setError };
}

// schema: the "settings" array; config: the current (masked) config or {}; installed: whether
// secrets have stored values. Returns {element, values(), showErrors(errors), clearErrors()}.
// showErrors returns the errors no field of the form took (the caller shows them).
export function settingsFields(schema, { config = {}, installed = false } = {}) {
  const fields = (schema || []).map((f) => field(f, config ? config[f.key] : undefined, installed));
  const element = h('div', { class: 'fields' }, fields.map((f) => f.element));

  return {
    element,
    values() {
      const out = {};
      for (const f of fields) {
        const [present, v] = f.value();
        if (present) out[f.key] = v;
      }
      return out;
    },
    clearErrors() {
      for (const f of fields) f.setError('');
    },
    showErrors(errors) {
      const rest = [];
      let first = null;
      for (const e of errors || []) {
        const f = fields.find((x) => x.key === e.field);
        if (!f) {
          rest.push(e);
          continue;
        }
        f.setError(e.message || e.code);
        if (!first) first = f.control;
      }
      if (first) first.focus();
      return rest;
    },
  };
}
