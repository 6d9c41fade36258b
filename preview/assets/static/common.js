// Shared by the preview, colour-map and review pages. No libraries, no
// outside requests; URLs are relative so the pages work under any prefix.
"use strict";

const $ = (sel, root) => (root || document).querySelector(sel);

// el builds an element: el("div", {class: "x", text: "hi"}, child, ...).
// Attributes named on* are not supported (CSP forbids inline handlers).
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "text") e.textContent = v;
    else if (k === "class") e.className = v;
    else if (k === "bg") e.style.background = v;
    else if (k === "width%") e.style.width = v + "%";
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

// api calls the server and returns {ok, status, data, etag}; a network
// failure is status 0 with a message.
async function api(path, opts) {
  let resp;
  try {
    resp = await fetch(path, Object.assign({ credentials: "same-origin" }, opts || {}));
  } catch (e) {
    return { ok: false, status: 0, data: { error: "The server cannot be reached. Check your connection and try again." } };
  }
  let data = null;
  const ct = resp.headers.get("Content-Type") || "";
  if (ct.startsWith("application/json")) {
    try { data = await resp.json(); } catch (e) { data = null; }
  }
  if (!resp.ok && (!data || !data.error)) {
    data = { error: resp.status === 413 ? "The upload is too large." : "The server answered with an error (" + resp.status + "). Try again." };
  }
  return { ok: resp.ok, status: resp.status, data: data, etag: resp.headers.get("ETag") };
}

function splitNames(s) {
  return s.split(/[,|]/).map((x) => x.trim()).filter(Boolean);
}

// deWords says in words how far a pick is from its name (ΔE2000).
// Catalog names stand for broad colours, so a real garment is rarely
// within 3; beyond 16 a pick is flagged far_from_name (match.ReasonFar).
function deWords(de) {
  if (de <= 3) return "very close to the name";
  if (de <= 10) return "close to the name";
  if (de <= 16) return "a loose match";
  return "far from the name";
}

// readAs says in a few words how a pick's name was understood when the
// colour map does not have it as written ("read as Grey · left out:
// iron"), or "" when it does.
function readAs(p) {
  const differs = p.resolved && p.resolved.toLowerCase() !== p.name.toLowerCase();
  const left = p.dropped && p.dropped.length ? " · left out: " + p.dropped.join(", ") : "";
  switch (p.via) {
    case "modifier": return "worked out from its words" + (differs ? " as " + p.resolved : "");
    case "head": return "read as " + p.resolved + left;
    case "vocabulary": return "from " + (p.source || "a public") + " list" + (differs ? " · read as " + p.resolved : "") + left;
    case "unknown": return "unknown name: main colour";
  }
  return "";
}

// confClass colours the confidence meter of a pick: red ("poor") exactly
// when it is flagged low_confidence (its review_reasons say why), so a
// page that looks right shows no red; else green from 0.7, amber below.
function confClass(p) {
  return p.low_confidence ? "poor" : p.confidence >= 0.7 ? "good" : "fair";
}

// region is where a candidate colour is: "product", "person" (the
// model's skin or hair) or "background".
function region(c) {
  return c.region || (c.background ? "background" : "product");
}

// The admin token is kept for the tab (sessionStorage), for the pages that
// need it: loadToken fills input (if there is one) with it, saveToken keeps
// t once the server accepted it.
function loadToken(input) {
  if (input) input.value = sessionStorage.getItem("palette-admin-token") || "";
}

function saveToken(t) {
  sessionStorage.setItem("palette-admin-token", t);
}

function pct(x, digits) {
  return (100 * x).toFixed(digits === undefined ? 0 : digits) + "%";
}

function debounce(fn, ms) {
  let t;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
}

// The colour names of the map, for the suggestion lists.
async function loadSuggestions() {
  const r = await api("v1/colormap");
  if (!r.ok || !r.data) return null;
  fillSuggestions(r.data.entries);
  return r;
}

function fillSuggestions(entries) {
  const list = $("#color-names");
  if (!list) return;
  const names = [];
  for (const e of entries) names.push(e.name, ...e.aliases);
  list.replaceChildren(...names.map((n) => el("option", { value: n })));
}

// nameInputs manages a list of colour-name inputs in box; onChange runs
// after an edit. Pasting "Grey|Pink" into one input splits it.
function nameInputs(box, addButton, onChange, prefix) {
  let n = 0;
  function add(value, focus) {
    n++;
    const id = prefix + "-name-" + n;
    const input = el("input", { type: "text", id: id, list: "color-names", autocomplete: "off", spellcheck: "false",
      placeholder: box.children.length === 0 ? "e.g. Navy Blue" : "another colour (optional)", "aria-label": "Colour name " + (box.children.length + 1) });
    input.value = value || "";
    const dot = el("span", { class: "dot", "aria-hidden": "true" });
    const remove = el("button", { type: "button", class: "remove", title: "Remove this colour", "aria-label": "Remove this colour", text: "×" });
    const row = el("div", { class: "name-row" }, dot, input, remove);
    input.addEventListener("input", () => {
      const parts = splitNames(input.value);
      if (/[|,]/.test(input.value) && parts.length > 1) {
        input.value = parts[0];
        let after = row;
        for (const p of parts.slice(1)) {
          const r = add(p, false);
          after.after(r);
          after = r;
        }
      }
      onChange();
    });
    remove.addEventListener("click", () => {
      if (box.children.length > 1) row.remove(); else input.value = "";
      onChange();
    });
    box.append(row);
    if (focus) input.focus();
    return row;
  }
  if (addButton) addButton.addEventListener("click", () => add("", true));
  return {
    add: add,
    values: () => Array.from(box.querySelectorAll("input")).map((i) => i.value.trim()).filter(Boolean),
    // dots colours each input's dot with its pick (by name, in order).
    dots: (colors) => {
      const rows = Array.from(box.querySelectorAll(".name-row"));
      for (const r of rows) {
        const v = $("input", r).value.trim();
        const c = colors && colors.find((p) => p.name === v);
        $(".dot", r).style.background = c ? c.hex : "";
      }
    },
  };
}
