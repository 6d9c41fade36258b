// The colour-map editor: list, search, add, edit, delete, edit as text,
// live check, try on a photo, save with conflict handling.
"use strict";

(function () {
  const editable = document.body.dataset.editable === "true";
  let saved = null;                 // the map in use: {etag, text, entries, ...}
  let draft = null;                 // {text, entries, problems}
  let lastGood = [];                // entries of the last draft without problems
  let editing = null;               // the open edit form: {line (0: new), preset, node, change}
  let checkSeq = 0;
  const listBox = $("#entries");
  const search = $("#search");
  const textArea = $("#text");
  let textMode = false;

  // ---- text helpers (mirror the file format of package colormap) ----
  const splitLines = (t) => (t === "" ? [] : t.match(/[^\n]*\n|[^\n]+$/g));
  const eolOf = (l) => (l.endsWith("\r\n") ? "\r\n" : l.endsWith("\n") ? "\n" : "");
  function commentOf(line) {
    const body = line.replace(/\r?\n$/, "");
    const m = /#(?=\s|$)/.exec(body);
    return m ? body.slice(m.index) : "";
  }
  function formatEntry(e, comment) {
    let s = e.name.trim() + ":";
    if (e.kind === "multi") s += " multi";
    for (const h of e.prototypes) s += " " + h.toUpperCase();
    const aliases = e.aliases.map((a) => a.trim()).filter(Boolean);
    if (aliases.length) s += "  also: " + aliases.join(", ");
    if (comment) s += "  " + comment;
    return s;
  }
  // withLine returns text with entry line n replaced by e (n = 0: appended,
  // e = null: deleted) and the line number the entry has in it.
  function withLine(text, n, e) {
    const ls = splitLines(text);
    if (n === 0) {
      let t = text;
      if (t !== "" && !t.endsWith("\n")) t += "\n";
      return { text: t + formatEntry(e, "") + "\n", line: splitLines(t).length + 1 };
    }
    const old = ls[n - 1];
    if (e === null) {
      ls.splice(n - 1, 1);
    } else {
      const bom = n === 1 && old.startsWith("\uFEFF") ? "\uFEFF" : "";
      ls[n - 1] = bom + formatEntry(e, commentOf(old)) + eolOf(old);
    }
    return { text: ls.join(""), line: n };
  }

  const key = (s) => s.toLowerCase().replace(/[\s-]+/g, "").replace(/gray/g, "grey").replace(/color/g, "colour");
  const sameEntry = (a, b) => a.name === b.name && a.kind === b.kind &&
    a.prototypes.join() === b.prototypes.join() && a.aliases.join() === b.aliases.join();

  // ---- server ----
  async function check(text) {
    const seq = ++checkSeq;
    const r = await api("v1/colormap/check", { method: "POST", body: text, headers: { "Content-Type": "text/plain; charset=utf-8" } });
    if (seq !== checkSeq) return null; // a newer check is on its way
    if (!r.ok) return { ok: false, problems: [{ line: 0, message: r.data.error }], entries: [] };
    return r.data;
  }

  // load loads the map in use as the draft; it returns null, or what went
  // wrong (the page is then as it was).
  async function load() {
    const r = await api("v1/colormap");
    if (!r.ok || !r.data || !Array.isArray(r.data.entries)) {
      return (r.data && r.data.error) || "The server sent an answer this page does not understand. Try again.";
    }
    saved = r.data;
    setDraft(saved.text, { ok: true, problems: [], entries: saved.entries });
    fillSuggestions(saved.entries);
    return null;
  }

  // Until the map is loaded there is nothing to edit or try: the controls
  // are inert. If it cannot be loaded the list says so, with a button to
  // try again.
  const controls = [$(".toolbar"), $(".savebar-actions"), $("#try")];
  async function start() {
    const retrying = document.activeElement && document.activeElement.id === "retry";
    for (const c of controls) c.inert = true;
    $("#draft-state").textContent = "Loading…";
    listBox.replaceChildren(el("p", { class: "muted more", text: "Loading the colour names…" }));
    const err = await load();
    if (!err) {
      for (const c of controls) c.inert = false;
      if (!openFromLink() && retrying) search.focus();
      return;
    }
    const retry = el("button", { type: "button", class: "btn", id: "retry", text: "Try again" });
    retry.addEventListener("click", start);
    $("#count").textContent = "";
    $("#draft-state").textContent = "Not loaded";
    listBox.replaceChildren(el("div", { class: "msg error load-error", role: "alert" },
      el("strong", { text: "The colour names could not be loaded. " }), err, el("br"), retry));
    if (retrying) retry.focus();
  }

  // A link from the swatch preview, colormap?add=NAME&shades=#RRGGBB,…,
  // opens the form for a new entry filled in with them (after checking
  // them as the map would), or shows the entry if the map has the name
  // already. It returns whether it put the focus somewhere.
  const validName = (n) => n !== "" && n.length <= 200 && !/[#:,|]/.test(n) && !/[\p{Cc}\p{Cf}]/u.test(n);
  function openFromLink() {
    const q = new URLSearchParams(location.search);
    if (!q.has("add")) return false;
    history.replaceState(null, "", location.pathname); // a reload does not open it again
    const name = (q.get("add") || "").trim();
    const given = (q.get("shades") || "").split(",").map((h) => h.trim()).filter(Boolean);
    const shades = given.filter((h) => /^#[0-9a-f]{6}$/i.test(h)).map((h) => h.toUpperCase()).slice(0, 12);
    if (!validName(name)) {
      flash("The link asks to add a colour name the map cannot have" + (name ? " (“" + name.slice(0, 60) + "”)" : "") + ": a name cannot be empty or contain # : , or |.", "error");
      return false;
    }
    const known = lastGood.find((e) => [e.name, ...e.aliases].some((n) => key(n) === key(name)));
    if (known) {
      search.value = known.name;
      renderAll();
      flash("“" + name + "” is in the colour map already" + (key(known.name) !== key(name) ? ", as another name for “" + known.name + "”." : "."), "ok");
      focusEntry(known.name, -1);
      return true;
    }
    let note = editable ? "From the swatch preview. Check the shades (try them on a photo if unsure), press Add, then Save." :
      "From the swatch preview. Check the shades and try them on a photo; this page cannot save.";
    if (shades.length < given.length) note += " Shades in the link that are not #RRGGBB were left out.";
    editing = { line: 0, preset: { name: name, shades: shades, note: note } };
    search.value = "";
    renderAll();
    focusEdit();
    const input = $("#edit-name");
    if (input) input.setSelectionRange(input.value.length, input.value.length);
    // The try panel is set to try the name: a photo is all it lacks.
    const first = $("#try-names input");
    if (first && !tryNames.values().length) first.value = name;
    return true;
  }

  function setDraft(text, res) {
    draft = { text: text, entries: res.entries, problems: res.problems || [] };
    if (res.ok) lastGood = res.entries;
    if (textMode && textArea.value !== text) textArea.value = text;
    renderAll();
    tryChanges();
  }

  async function applyText(text) {
    const res = await check(text);
    if (!res) return;
    $("#save-msg").hidden = true; // an old message no longer applies
    setDraft(text, res);
  }

  // ---- rendering ----
  function changes() {
    const before = new Map(saved.entries.map((e) => [key(e.name), e]));
    const after = new Map(lastGood.map((e) => [key(e.name), e]));
    let added = 0, edited = 0, deleted = 0;
    for (const [k, e] of after) {
      const b = before.get(k);
      if (!b) added++; else if (!sameEntry(b, e)) edited++;
    }
    for (const k of before.keys()) if (!after.has(k)) deleted++;
    return { added, edited, deleted, before };
  }

  function renderAll() {
    const dirty = draft.text !== saved.text;
    const ch = changes();
    const ds = $("#draft-state");
    if (!dirty) {
      ds.textContent = "No changes";
      ds.className = "draft-state";
    } else {
      const parts = [];
      if (ch.edited) parts.push(ch.edited + " changed");
      if (ch.added) parts.push(ch.added + " added");
      if (ch.deleted) parts.push(ch.deleted + " deleted");
      ds.textContent = "Not saved yet: " + (parts.length ? parts.join(", ") : "text changed") + (editable ? " · press Save to use your changes" : "");
      ds.className = "draft-state dirty";
    }
    const cs = $("#check-state");
    if (draft.problems.length) {
      cs.textContent = draft.problems.length === 1 ? "1 problem to fix before saving" : draft.problems.length + " problems to fix before saving";
      cs.className = "check-state bad";
    } else if (dirty) {
      cs.textContent = "✓ Checked: no problems";
      cs.className = "check-state good";
    } else {
      cs.textContent = saved.count + " colour names" + (saved.file ? " in " + saved.file : "");
      cs.className = "check-state";
    }
    $("#discard").disabled = !dirty;
    const save = $("#save");
    if (save) save.disabled = !dirty || draft.problems.length > 0;
    $("#add").disabled = textMode || draft.problems.length > 0;
    renderProblems();
    renderList(ch);
  }

  function renderProblems() {
    const box = $("#problems");
    if (!draft.problems.length) { box.hidden = true; return; }
    box.hidden = false;
    box.replaceChildren(
      el("strong", { text: textMode ? "Fix these lines before saving:" : "Your changes have problems; the list shows the last version without them. Fix them in the text:" }),
      el("ul", {}, draft.problems.map((p) => el("li", {},
        p.line ? el("button", { type: "button", "data-line": p.line, text: "Line " + p.line }) : null,
        p.line ? ": " : "", p.message))));
    for (const b of box.querySelectorAll("button[data-line]")) {
      b.addEventListener("click", () => showLine(+b.dataset.line));
    }
  }

  function showLine(n) {
    setTextMode(true);
    const ls = splitLines(textArea.value);
    let start = 0;
    for (let i = 0; i < n - 1 && i < ls.length; i++) start += ls[i].length;
    const end = start + (ls[n - 1] || "").replace(/\r?\n$/, "").length;
    textArea.focus();
    textArea.setSelectionRange(start, end);
  }

  function matches(e, q) {
    if (!q) return true;
    const hay = [e.name, ...e.aliases, ...e.prototypes].join(" ").toLowerCase();
    return q.split(/\s+/).every((w) => hay.includes(w));
  }

  function renderList(ch) {
    if (textMode) return;
    const q = search.value.trim().toLowerCase();
    // Names that start with the search come first, then names that
    // contain it, then matches on aliases or shades.
    const rank = (e) => { const n = e.name.toLowerCase(); return n === q ? 0 : n.startsWith(q) ? 1 : n.includes(q) ? 2 : 3; };
    const shown = lastGood.filter((e) => matches(e, q));
    if (q) shown.sort((a, b) => rank(a) - rank(b));
    $("#count").textContent = q
      ? "Showing " + shown.length + " of " + lastGood.length + " colour names"
      : lastGood.length + " colour names";
    const rows = [];
    // The open form is kept across renders, so what is typed in it stays.
    const form = (e) => editing.node || (editing.node = editForm(e, editing.preset));
    let formShown = false;
    for (const e of shown) {
      if (editing && editing.line === e.line) { rows.push(form(e)); formShown = true; continue; }
      const b = ch.before.get(key(e.name));
      const state = !b ? "new" : !sameEntry(b, e) ? "changed" : "";
      rows.push(entryRow(e, state));
    }
    if (editing && !formShown) {
      const e = editing.line === 0 ? null : lastGood.find((x) => x.line === editing.line);
      if (e !== undefined) rows.unshift(form(e));
    }
    if (!shown.length && !editing) {
      rows.push(el("p", { class: "muted more", text: q ? "No colour name matches “" + search.value.trim() + "”." : "The map is empty." }));
    }
    // Moving the open form blurs it: keep the focus and the caret where
    // the person is typing.
    const active = document.activeElement;
    const inList = active && listBox.contains(active);
    let caret = null;
    try { caret = inList ? [active.selectionStart, active.selectionEnd] : null; } catch (e) { caret = null; }
    listBox.replaceChildren(...rows);
    if (inList && active.isConnected && document.activeElement !== active) {
      active.focus({ preventScroll: true });
      try { if (caret && caret[0] !== null) active.setSelectionRange(caret[0], caret[1]); } catch (e) { /* not a text input */ }
    }
  }

  function shadeChips(e) {
    if (e.kind === "multi") return [el("span", { class: "shade multi", title: "the product's main colours" })];
    return e.prototypes.map((h) => el("span", { class: "shade", bg: h, title: h }));
  }

  function entryRow(e, state) {
    const locked = draft.problems.length > 0; // line numbers are stale until the problems are fixed
    const edit = el("button", { type: "button", class: "btn small", text: "Edit", "aria-label": "Edit " + e.name, disabled: locked });
    const del = el("button", { type: "button", class: "btn small danger", text: "Delete", "aria-label": "Delete " + e.name, disabled: locked });
    edit.addEventListener("click", () => { editing = { line: e.line }; renderAll(); focusEdit(); });
    del.addEventListener("click", async () => {
      // The focus goes to the next entry (or the one before).
      const at = rowIndex(row);
      editing = null; // line numbers change
      await applyText(withLine(draft.text, e.line, null).text);
      flash("“" + e.name + "” deleted. Press Discard changes to bring it back.", "ok");
      focusEntry(null, at);
    });
    const row = el("div", { class: "entry" + (state ? " changed" : ""), "data-name": e.name },
      el("div", { class: "shades" }, shadeChips(e)),
      el("div", {},
        el("div", { class: "ename" }, e.name, " ", state ? el("span", { class: "tag warn", text: state === "new" ? "new" : "changed" }) : null),
        e.aliases.length ? el("div", { class: "aliases", text: "also: " + e.aliases.join(", ") }) : null,
        el("div", { class: "hexes", text: e.kind === "multi" ? "multi: the product's main colours" : e.prototypes.join(" ") })),
      el("div", { class: "actions" }, edit, del));
    return row;
  }

  // rowIndex is the place of an entry or the open form in the list.
  const rowIndex = (node) => Array.from(listBox.querySelectorAll(".entry, .edit")).indexOf(node);

  // focusEntry puts the focus back in the list when a form closes or an
  // entry goes: on the Edit button of the entry called name, else of the
  // entry now at index at (or the last), else on the search box.
  function focusEntry(name, at) {
    const rows = Array.from(listBox.querySelectorAll(".entry"));
    let row = name ? rows.find((r) => key(r.dataset.name) === key(name)) : null;
    if (!row && at >= 0 && rows.length) row = rows[Math.min(at, rows.length - 1)];
    const b = row && $(".actions button", row);
    if (b && !b.disabled) b.focus();
    else if (!textMode) search.focus();
  }

  function focusEdit() {
    const f = $(".edit input", listBox);
    if (f) { f.focus(); f.scrollIntoView({ block: "nearest" }); }
  }

  // editForm is the form for e (null: a new entry, filled in with preset
  // {name, shades, note} when given). Every change is checked against the
  // whole draft as you type; while the change checks out, "Try your
  // changes on a photo" includes it (editing.change).
  function editForm(e, preset) {
    const isNew = e === null;
    const cur = !isNew ? { name: e.name, aliases: e.aliases.slice(), prototypes: e.prototypes.slice(), kind: e.kind } :
      preset ? { name: preset.name, aliases: [], prototypes: preset.shades.length ? preset.shades : ["#808080"], kind: "shades" } :
        { name: "", aliases: [], prototypes: ["#808080"], kind: "shades" };
    const name = el("input", { type: "text", id: "edit-name", value: cur.name, autocomplete: "off", spellcheck: "false", placeholder: "e.g. Dusty Pink" });
    const aliases = el("input", { type: "text", id: "edit-aliases", value: cur.aliases.join(", "), autocomplete: "off", spellcheck: "false", placeholder: "other catalog spellings, separated by commas" });
    const multi = el("input", { type: "checkbox", id: "edit-multi", checked: cur.kind === "multi" });
    const shadeBox = el("div", { class: "shade-rows" });
    const addShade = el("button", { type: "button", class: "btn-link", text: "+ Add a shade" });
    const problems = el("p", { class: "line-problems", role: "alert" });
    const done = el("button", { type: "button", class: "btn primary", id: "edit-done", text: isNew ? "Add" : "Done" });
    const cancel = el("button", { type: "button", class: "btn", text: "Cancel" });
    const preview = el("span", { class: "shades" });

    function shadeRow(hex) {
      const color = el("input", { type: "color", value: /^#[0-9a-f]{6}$/i.test(hex) ? hex.toLowerCase() : "#808080", "aria-label": "Pick a shade" });
      const text = el("input", { type: "text", value: hex.toUpperCase(), class: "hex-input", maxlength: 7, spellcheck: "false", "aria-label": "Shade as #RRGGBB" });
      const rm = el("button", { type: "button", class: "btn small", text: "Remove" });
      const row = el("div", { class: "shade-row" }, color, text, rm);
      color.addEventListener("input", () => { text.value = color.value.toUpperCase(); text.classList.remove("invalid"); changed(); });
      text.addEventListener("input", () => {
        let v = text.value.trim();
        if (v && v[0] !== "#") v = "#" + v;
        const ok = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(v);
        text.classList.toggle("invalid", !ok);
        if (ok) color.value = v.length === 4 ? "#" + v[1] + v[1] + v[2] + v[2] + v[3] + v[3] : v.toLowerCase();
        changed();
      });
      rm.addEventListener("click", () => { row.remove(); changed(); });
      return row;
    }
    for (const h of cur.prototypes) shadeBox.append(shadeRow(h));
    addShade.addEventListener("click", () => { shadeBox.append(shadeRow("#808080")); changed(); $("input[type=text]", shadeBox.lastChild).focus(); });

    function value() {
      const hexes = Array.from(shadeBox.querySelectorAll("input[type=text]")).map((i) => {
        const v = i.value.trim();
        return v && v[0] !== "#" ? "#" + v : v;
      }).filter(Boolean);
      return {
        name: name.value, kind: multi.checked ? "multi" : "shades",
        prototypes: multi.checked ? [] : hexes, aliases: aliases.value.split(",").map((a) => a.trim()).filter(Boolean),
      };
    }
    let candidate = null;
    const recheck = debounce(async () => {
      const v = value();
      const local = [];
      if (!v.name.trim()) local.push("Type a name.");
      if (v.kind === "shades" && v.prototypes.length === 0) local.push("Give at least one shade.");
      if (/[#:,|]/.test(v.name)) local.push("A name cannot contain # : , or |.");
      const w = withLine(draft.text, isNew ? 0 : e.line, v);
      candidate = null;
      offer(null);
      if (local.length) { show(local); return; }
      const res = await check(w.text);
      if (!res) return;
      const mine = res.problems.filter((p) => p.line === w.line || p.line === 0).map((p) => p.message);
      const others = res.problems.length - mine.length;
      if (others > 0 && mine.length === 0 && draft.problems.length === 0) mine.push("This change clashes with another line: " + res.problems[0].message);
      show(mine);
      if (mine.length === 0) candidate = w.text;
      offer(candidate && { text: candidate, name: v.name.trim() });
    }, 250);
    // offer lets the try panel use the change being made here.
    function offer(change) {
      if (!editing || editing.node !== form) return;
      const had = editing.change;
      editing.change = change;
      if (change || had) tryChanges();
    }
    function show(msgs) {
      problems.textContent = msgs.join(" ");
      problems.hidden = msgs.length === 0;
      done.disabled = msgs.length > 0;
      if (!msgs.length) problems.textContent = "";
    }
    function changed() {
      const v = value();
      shadeBox.hidden = v.kind === "multi";
      addShade.hidden = v.kind === "multi";
      preview.replaceChildren(...shadeChips({ kind: v.kind, prototypes: v.prototypes.filter((h) => /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(h)) }));
      done.disabled = true;
      recheck();
    }
    for (const i of [name, aliases]) i.addEventListener("input", changed);
    multi.addEventListener("change", changed);
    done.addEventListener("click", async () => {
      if (!candidate) return;
      const text = candidate;
      const named = value().name.trim();
      const at = rowIndex(form);
      editing = null;
      await applyText(text);
      flash((isNew ? "Added" : "Changed") + " “" + named + "”. " + (editable ? "Press Save to use it." : "Not saved: this page is read-only."), "ok");
      focusEntry(named, at);
    });
    // Closing the form puts the focus back where it was opened from.
    cancel.addEventListener("click", () => {
      const at = rowIndex(form);
      const had = editing && editing.change;
      editing = null;
      renderAll();
      if (had) tryChanges(); // the try showed the change just dropped
      if (isNew && !$("#add").disabled) $("#add").focus();
      else focusEntry(isNew ? null : e.name, at);
    });
    name.addEventListener("keydown", (ev) => { if (ev.key === "Enter" && !done.disabled) done.click(); });

    const form = el("div", { class: "edit", "data-editing": isNew ? "" : e.name },
      el("h3", {}, isNew ? "New colour name " : "Edit “" + e.name + "” ", preview),
      isNew && preset && preset.note ? el("p", { class: "preset-note", text: preset.note }) : null,
      el("div", { class: "grid" },
        el("label", { for: "edit-name", text: "Name" }), name,
        el("span", { class: "group-label", id: "edit-shades-label", text: "Shades" }),
        el("div", { role: "group", "aria-labelledby": "edit-shades-label" },
          shadeBox, addShade, el("label", { class: "check-multi" }, multi, "Multi: this name means the product's main colours (no shades)")),
        el("label", { for: "edit-aliases", text: "Also known as" }), aliases),
      problems,
      el("div", { class: "buttons" }, done, cancel));
    form.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape" && !ev.defaultPrevented) { ev.preventDefault(); cancel.click(); }
    });
    setTimeout(changed, 0);
    return form;
  }

  function flash(text, kind) {
    const m = $("#save-msg");
    m.hidden = false;
    m.className = "msg " + kind;
    m.replaceChildren(text);
  }

  // ---- text mode ----
  function setTextMode(on) {
    textMode = on;
    $("#text-mode").setAttribute("aria-pressed", String(on));
    $("#text-mode").textContent = on ? "Back to the list" : "Edit as text";
    $("#textbox").hidden = !on;
    listBox.hidden = on;
    $("#add").disabled = on || draft.problems.length > 0;
    search.closest(".search").hidden = on;
    $("#add").hidden = on;
    $("#count").hidden = on;
    if (on) {
      if (editing && editing.change) tryChanges(); // the open change is dropped
      editing = null;
      textArea.value = draft.text;
    }
    // Leaving the text: what was typed in the last moment is not checked
    // yet; check it now (the pending check does nothing outside the text).
    else if (textArea.value !== draft.text) applyText(textArea.value);
    renderAll();
  }
  $("#text-mode").addEventListener("click", () => { if (saved) setTextMode(!textMode); });
  const textChanged = debounce(() => { if (textMode) applyText(textArea.value); }, 300);
  textArea.addEventListener("input", textChanged);

  search.addEventListener("input", debounce(() => { if (saved) renderList(changes()); }, 100));
  $("#add").addEventListener("click", () => { if (!saved) return; editing = { line: 0 }; search.value = ""; renderAll(); focusEdit(); });
  $("#discard").addEventListener("click", () => {
    if (!saved) return;
    editing = null;
    setDraft(saved.text, { ok: true, problems: [], entries: saved.entries });
    flash("Your changes were discarded.", "ok");
  });

  // ---- save ----
  const tokenInput = $("#token");
  loadToken(tokenInput);
  const saveBtn = $("#save");
  if (saveBtn) saveBtn.addEventListener("click", save);

  async function save() {
    const token = tokenInput.value.trim();
    if (!token) {
      flash("Type the admin token to save.", "error");
      tokenInput.focus();
      return;
    }
    // Saving closes an open entry: its change would be lost unseen.
    if (editing && editing.node && editing.node.isConnected) {
      flash("Press Done to keep the change you are making to the open colour name, or Cancel, then Save.", "error");
      const done = $("#edit-done");
      if (done) done.focus();
      return;
    }
    saveBtn.disabled = true;
    // Text typed in the last moment is not checked yet: check it first,
    // so that what is saved is what is on the screen.
    if (textMode && textArea.value !== draft.text) {
      await applyText(textArea.value);
      if (draft.text !== textArea.value || draft.problems.length) {
        renderAll();
        flash(draft.problems.length ? "Not saved: fix the problems in the text first." : "Not saved: the text is still being checked. Press Save again.", "error");
        return;
      }
    }
    flash("Saving…", "ok");
    const r = await api("v1/colormap", {
      method: "PUT", body: draft.text,
      headers: { "Content-Type": "text/plain; charset=utf-8", "If-Match": saved.etag, Authorization: "Bearer " + token },
    });
    if (r.ok) {
      saveToken(token);
      saved = r.data;
      editing = null;
      setDraft(saved.text, { ok: true, problems: [], entries: saved.entries });
      fillSuggestions(saved.entries);
      flash("Saved. New swatches use these colours from now on.", "ok");
      return;
    }
    saveBtn.disabled = false;
    if (r.status === 412) {
      const reload = el("button", { type: "button", class: "btn", id: "reload", text: "Load their version (drops your changes)" });
      const mine = new Blob([draft.text], { type: "text/plain" });
      const dl = el("a", { class: "btn", href: URL.createObjectURL(mine), download: (saved.file || "colours.txt").replace(/(\.txt)?$/, ".mine.txt"), text: "Download your version" });
      reload.addEventListener("click", async () => {
        const err = await load();
        if (err) { flash("Their version could not be loaded: " + err, "error"); return; }
        editing = null;
        renderAll();
        flash("Loaded the latest saved map. Make your change again and save.", "ok");
      });
      const m = $("#save-msg");
      m.hidden = false;
      m.className = "msg warn";
      m.replaceChildren(el("strong", { text: "Not saved: someone else saved the colour map while you were editing. " }),
        "Load their version and make your change again. To keep a copy of your edits first, download them.",
        el("br"), reload, dl);
      return;
    }
    if (r.status === 401) tokenInput.focus();
    if (r.data.problems && r.data.problems.length) draft.problems = r.data.problems, renderAll();
    flash(r.data.error, "error");
  }

  window.addEventListener("beforeunload", (ev) => {
    if (draft && saved && draft.text !== saved.text) { ev.preventDefault(); ev.returnValue = ""; }
  });

  // ---- try on a photo ----
  const tryFile = $("#try-file");
  const tryNames = nameInputs($("#try-names"), null, () => tryChanges(), "t");
  tryNames.add("", false);
  tryNames.add("", false);
  const tryDrop = $("#try-drop");
  let tryPhoto = null;
  function setTryFile(f) {
    if (!f) return;
    tryPhoto = f;
    $("#try-thumb").src = URL.createObjectURL(f);
    $("#try-file-name").textContent = f.name;
    $(".drop-empty", tryDrop).hidden = true;
    $(".drop-chosen", tryDrop).hidden = false;
    tryChanges();
  }
  tryFile.addEventListener("change", () => setTryFile(tryFile.files[0]));
  for (const ev of ["dragenter", "dragover"]) tryDrop.addEventListener(ev, (e) => { e.preventDefault(); tryDrop.classList.add("over"); });
  for (const ev of ["dragleave", "drop"]) tryDrop.addEventListener(ev, () => tryDrop.classList.remove("over"));
  tryDrop.addEventListener("drop", (e) => { e.preventDefault(); setTryFile(e.dataTransfer && e.dataTransfer.files[0]); });
  $("#try-go").addEventListener("click", () => runTry());
  const tryChanges = debounce(() => { if (tryPhoto && tryNames.values().length) runTry(); }, 500);
  let trySeq = 0;

  async function runTry() {
    if (!draft) return; // the map is not loaded
    const st = $("#try-status");
    const f = tryPhoto;
    if (!f) { st.className = "status error"; st.textContent = "Choose a photo first."; return; }
    if (!tryNames.values().length) { st.className = "status error"; st.textContent = "Type at least one colour name."; return; }
    if (draft.problems.length) { st.className = "status error"; st.textContent = "Fix the problems in your changes first."; return; }
    // Your changes: the draft, with the change in the open form when it
    // checks out. They go with every try (the map in use is only the
    // "before"), so a name that only they have resolves as it will once
    // saved.
    const open = editing && editing.node && editing.node.isConnected ? editing.change : null;
    const text = open ? open.text : draft.text;
    const seq = ++trySeq;
    st.className = "status busy";
    st.textContent = "Making the swatches…";
    const form = (colormap) => {
      const fd = new FormData();
      fd.append("image", f, f.name);
      fd.append("colors", tryNames.values().join("|"));
      fd.append("size", "40");
      if (colormap !== null) fd.append("colormap", colormap);
      return { method: "POST", body: fd, headers: { Accept: "application/json" } };
    };
    const [before, after] = await Promise.all([api("v1/preview", form(null)), api("v1/preview", form(text))]);
    if (seq !== trySeq) return;
    if (!before.ok || !after.ok) {
      st.className = "status error";
      st.textContent = (!before.ok ? before : after).data.error;
      return;
    }
    st.className = "status";
    st.textContent = text === saved.text ? "No changes yet: both use the map in use." :
      open ? "“With your changes” includes “" + open.name + "”, still open in the list: press " + ($("#edit-done") ? $("#edit-done").textContent : "Add") + " there to keep it." : "";
    $("#try-result").hidden = false;
    $("#try-before").src = "data:image/png;base64," + before.data.swatch;
    $("#try-after").src = "data:image/png;base64," + after.data.swatch;
    // A name listing colours has a pick per colour: the k-th pick of a
    // name before goes with its k-th pick after.
    const seen = new Map();
    const items = after.data.colors.map((q) => {
      const k = seen.get(q.name) || 0;
      seen.set(q.name, k + 1);
      const p = before.data.colors.filter((x) => x.name === q.name)[k] || q;
      const moved = q.hex !== p.hex;
      // How the name was read, when the map does not have it as written;
      // before → after when your changes read it another way.
      const how = p.via !== q.via ? (readAs(p) || "in the colour map") + " → " + (readAs(q) || "in the colour map") : readAs(q);
      return el("li", { class: moved ? "moved" : "", "data-name": q.name, "data-before": p.hex, "data-after": q.hex, "data-via-before": p.via, "data-via": q.via },
        el("span", { class: "pname", text: q.name }),
        el("span", { class: "chip", bg: p.hex, title: p.hex }), p.hex,
        moved ? [" → ", el("span", { class: "chip", bg: q.hex, title: q.hex }), q.hex, " ", el("span", { class: "tag warn", text: "moved" })] : el("span", { class: "muted", text: " (same)" }),
        how ? el("span", { class: "how", text: how }) : null);
    });
    $("#try-picks").replaceChildren(...items);
  }

  // On a narrow screen the try panel starts folded, above the list.
  if (window.matchMedia("(max-width: 900px)").matches) $("#try").open = false;
  start();
})();
