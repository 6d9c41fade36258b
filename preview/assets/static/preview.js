// The swatch preview page: a photo and colour names → swatch, picks,
// warnings, the photo's colours.
"use strict";

(function () {
  const body = document.body;
  const form = $("#form");
  const fileInput = $("#file");
  const refInput = $("#ref");
  const drop = $("#drop");
  const status = $("#status");
  const sizeSel = $("#size");
  let file = null;
  let photoURL = null;
  let running = 0;

  sizeSel.value = body.dataset.size || "40";
  if (!sizeSel.value) sizeSel.append(el("option", { value: body.dataset.size, text: body.dataset.size + " × " + body.dataset.size + " px", selected: true }));

  const names = nameInputs($("#names"), $("#add-name"), () => autoRun(), "p");
  names.add("", false);
  names.add("", false);
  loadSuggestions();

  const autoRun = debounce(() => { if (ready()) run(); }, 600);

  function ready() {
    return (file || (refInput && refInput.value.trim())) && names.values().length > 0;
  }

  function setFile(f) {
    if (!f) return;
    file = f;
    if (refInput) refInput.value = "";
    if (photoURL) URL.revokeObjectURL(photoURL);
    photoURL = URL.createObjectURL(f);
    $("#thumb").src = photoURL;
    $("#file-name").textContent = f.name + " · " + Math.max(1, Math.round(f.size / 1024)) + " KB";
    $(".drop-empty", drop).hidden = true;
    $(".drop-chosen", drop).hidden = false;
    autoRun();
  }

  fileInput.addEventListener("change", () => setFile(fileInput.files[0]));
  for (const ev of ["dragenter", "dragover"]) {
    drop.addEventListener(ev, (e) => { e.preventDefault(); drop.classList.add("over"); });
  }
  for (const ev of ["dragleave", "drop"]) {
    drop.addEventListener(ev, () => drop.classList.remove("over"));
  }
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    const f = e.dataTransfer && e.dataTransfer.files[0];
    if (f) setFile(f);
  });
  if (refInput) {
    refInput.addEventListener("input", () => {
      if (refInput.value.trim()) {
        file = null;
        fileInput.value = "";
        $(".drop-empty", drop).hidden = false;
        $(".drop-chosen", drop).hidden = true;
      }
    });
    refInput.addEventListener("change", () => autoRun());
  }
  sizeSel.addEventListener("change", () => autoRun());

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (!file && !(refInput && refInput.value.trim())) return showError(refInput ? "Choose a photo, or type an image address." : "Choose a photo first.");
    if (names.values().length === 0) return showError("Type at least one colour name.");
    run(true);
  });

  function showError(msg) {
    status.className = "status error";
    status.textContent = msg;
    stale(true);
  }

  // stale fades the last result and says it is out of date (after an
  // error it no longer matches the form); a new result clears it.
  function stale(on) {
    $("#result").classList.toggle("stale", on);
    $("#photos").classList.toggle("stale", on);
    $("#stale").hidden = !on;
    if (on) names.dots(null);
  }

  async function run(fromSubmit) {
    const id = ++running;
    const fd = new FormData();
    if (file) fd.append("image", file, file.name);
    else fd.append("image", refInput.value.trim());
    fd.append("colors", names.values().join("|"));
    fd.append("size", sizeSel.value);
    status.className = "status busy";
    status.textContent = "Making the swatch…";
    $("#go").disabled = true;
    const r = await api("v1/preview", { method: "POST", body: fd, headers: { Accept: "application/json" } });
    if (id !== running) return; // a newer request is on its way
    $("#go").disabled = false;
    if (!r.ok) return showError(r.data.error);
    status.className = "status";
    status.textContent = "";
    render(r.data);
    // On a narrow screen the result is below the form: bring it into view.
    if (window.matchMedia("(max-width: 900px)").matches && fromSubmit) $("#result").scrollIntoView({ behavior: "smooth", block: "start" });
  }

  function render(d) {
    const size = d.size;
    $("#empty").hidden = true;
    $("#result").hidden = false;
    stale(false);
    const src = "data:image/png;base64," + d.swatch;
    const sw1 = $("#sw1"), sw4 = $("#sw4");
    sw1.src = src; sw1.width = size; sw1.height = size;
    sw4.src = src; sw4.width = 4 * size; sw4.height = 4 * size;
    $("#sw-info").textContent = size + " × " + size + " px · " + d.colors.length + (d.colors.length === 1 ? " colour" : " colours") + " · PNG of " + d.bytes + " bytes";

    // Warnings.
    const wl = $("#warn-list");
    wl.replaceChildren(...d.warnings.map((w) => {
      const fixes = (w.suggestions || []).map((s) => fixButton(w, s));
      const actions = w.add ? [...fixes, addLink(w.add)] : fixes;
      return el("li", { "data-kind": w.kind }, w.message,
        actions.length ? el("span", { class: "warn-actions" }, actions) : null);
    }));
    // "Looks right" only when nothing is flagged and nothing warned.
    const flagged = new Set();
    for (const w of d.warnings) for (const n of w.names) flagged.add(n);
    for (const p of d.colors) if (p.low_confidence) flagged.add(p.name);
    $("#warnings").hidden = d.warnings.length === 0;
    $("#all-good").hidden = d.warnings.length !== 0 || flagged.size !== 0;

    // Picks.
    $("#picks").replaceChildren(...d.colors.map((p) => pickRow(p, d, flagged.has(p.name))));
    names.dots(d.colors);

    // Candidates by share; names point at their picks.
    const pickedBy = new Map();
    d.colors.forEach((p) => {
      const l = pickedBy.get(p.candidate) || [];
      if (!l.includes(p.name)) l.push(p.name);
      pickedBy.set(p.candidate, l);
    });
    const product = d.candidates.map((c, i) => Object.assign({ i: i }, c)).filter((c) => region(c) === "product");
    const total = product.reduce((s, c) => s + c.share, 0) || 1;
    $("#bar").replaceChildren(...product.map((c) => el("span", {
      bg: c.hex, "width%": (100 * c.share / total).toFixed(2), class: pickedBy.has(c.i) ? "picked" : null,
      title: c.hex + " · " + pct(c.share, 1) + (pickedBy.has(c.i) ? " · " + pickedBy.get(c.i).join(", ") : ""),
    })));
    $("#legend").replaceChildren(...d.candidates.map((c, i) => el("li", { "data-hex": c.hex, "data-region": region(c) },
      el("span", { class: "chip", bg: c.hex }),
      // Hex, who picked it and where it is flow as text: a long entry
      // wraps between them, never inside "← Name".
      el("span", { class: "what" },
        el("span", { class: "hex", text: c.hex }),
        pickedBy.has(i) ? [" ", el("span", { class: "who", text: "←\u00a0" + pickedBy.get(i).join(", ") })] : null,
        region(c) === "person" ? [" ", el("span", { class: "tag person", text: "model", title: "The model's skin or hair, not the product" })] : null,
        region(c) === "background" ? [" ", el("span", { class: "tag", text: "background", title: "The photo's backdrop, not the product" })] : null),
      el("span", { class: "share", text: pct(c.share, 1), title: region(c) === "product" ? "of the product" : "of the whole photo" }),
    )));
    // What the tags mean, for those shown.
    const people = d.candidates.some((c) => region(c) === "person");
    const backdrop = d.candidates.some((c) => region(c) === "background");
    const marked = [];
    if (people) marked.push([el("span", { class: "tag person", text: "model" }), " the model's skin or hair"]);
    if (backdrop) marked.push([el("span", { class: "tag", text: "background" }), " the photo's backdrop"]);
    if (marked.length) marked[0].splice(1, 0, " is");
    $("#legend-note").replaceChildren(...(marked.length === 0 ? [] :
      [marked[0], marked.length > 1 ? [", ", marked[1]] : [], ": not the product, so left out of the bar, with shares of the whole photo."].flat(Infinity)));
    $("#legend-note").hidden = marked.length === 0;

    // Photos.
    $("#photos").hidden = false;
    $("#photo").src = d.photo ? "data:image/jpeg;base64," + d.photo : photoURL;
    $("#quantized").src = "data:image/png;base64," + d.quantized;
    $("#regions").src = "data:image/png;base64," + d.regions;
    $("#key-person").hidden = !people;
    $("#key-background").hidden = !backdrop;
  }

  // fixButton offers a name of the map a mistyped name was probably meant
  // to be: it puts the suggestion in place of the mistyped text (the name,
  // or its part in a name listing colours) in the names field and makes
  // the swatch again.
  function fixButton(w, suggestion) {
    const mistyped = w.mistyped || w.names[0];
    const b = el("button", { type: "button", class: "fix-name", "data-name": w.names[0], "data-suggestion": suggestion,
      "aria-label": "Use “" + suggestion + "” instead of “" + mistyped + "” and make the swatch again" }, "Use “" + suggestion + "”");
    b.addEventListener("click", () => useSuggestion(w.names[0], mistyped, suggestion));
    return b;
  }

  function useSuggestion(name, mistyped, suggestion) {
    const input = Array.from(document.querySelectorAll("#names input")).find((i) => i.value.trim() === name);
    const fixed = input && (input.value.trim() === mistyped ? suggestion : replaceWord(input.value, mistyped, suggestion));
    if (!fixed) return showError("“" + name + "” is no longer among the colour names: make the swatch again.");
    input.value = fixed;
    // The button goes with the old result: the focus moves to the name it
    // changed, the view stays on the result being remade.
    input.focus({ preventScroll: true });
    run();
  }

  // replaceWord puts by in place of each occurrence of part in s that is
  // not inside a longer word ("Re" of "Red & Re" is the second); null
  // when there is none.
  function replaceWord(s, part, by) {
    const inWord = (c) => c !== undefined && /[\p{L}\p{N}]/u.test(c);
    let out = "", from = 0;
    for (let j = part ? s.indexOf(part) : -1; j >= 0; j = s.indexOf(part, j + 1)) {
      if (j < from || inWord(s[j - 1]) || inWord(s[j + part.length])) continue;
      out += s.slice(from, j) + by;
      from = j + part.length;
    }
    return from === 0 ? null : out + s.slice(from);
  }

  // addLink opens the editor with a new entry filled in: the name as
  // given and the suggested shades. The editor checks both again.
  function addLink(a) {
    const href = "colormap?add=" + encodeURIComponent(a.name) + "&shades=" + a.shades.map(encodeURIComponent).join(",");
    return el("a", { class: "add-link", href: href, "data-name": a.name, "aria-label": "Add “" + a.name + "” to the colour map" },
      "Add to the colour map",
      el("span", { class: "add-shades", "aria-hidden": "true" }, a.shades.map((h) => el("span", { bg: h }))));
  }

  function pickRow(p, d, flagged) {
    const multi = p.via === "multi";
    const read = readAs(p);
    let how;
    switch (p.via) {
      case "exact": how = "in the colour map"; break;
      case "alias": how = "another name for " + p.resolved; break;
      case "multi": how = "one of the product's main colours"; break;
      default: how = read ? null : p.resolved; // read says it
    }
    const reasons = p.review_reasons || [];
    return el("div", { class: "pick" + (flagged ? " flag" : ""), "data-name": p.name, "data-hex": p.hex, "data-via": p.via },
      el("span", { class: "chip", bg: p.hex, title: p.hex }),
      el("span", { class: "name" }, p.name, " ", read && !reasons.includes("unknown_name") ? el("span", { class: "tag warn", text: "not in map" }) : null),
      el("span", { class: "stat" },
        multi ? el("b", { text: pct(p.share) }) : p.via === "unknown" ? el("b", { text: "ΔE –" }) : el("b", { text: "ΔE " + p.delta_e.toFixed(1) }),
        el("span", { class: "sub", text: multi ? "of the product" : p.via === "unknown" ? "no shade to compare" : deWords(p.delta_e) })),
      el("span", { class: "stat" },
        el("b", { text: pct(p.confidence) }), " confidence",
        p.low_confidence ? el("span", { class: "tag warn", text: "low" }) : null,
        el("span", { class: "meter " + confClass(p) }, el("span", { "width%": (100 * p.confidence).toFixed(0) }))),
      reasons.length ? el("span", { class: "reasons", "aria-label": "Why to check it" }, reasons.map((r) => reasonTag(r, p))) : null,
      el("span", { class: "how" }, el("span", { class: "hex", text: p.hex }), " · ", read ? el("span", { class: "read", text: read }) : how),
    );
  }

  // reasonTag says in a few words why a pick is flagged (its
  // review_reasons); the tooltip says more.
  function reasonTag(r, p) {
    const words = {
      far_from_name: ["far from the name", "ΔE " + p.delta_e.toFixed(1) + " from every shade of the name: the catalog name may be wrong"],
      tiny_share: [(p.share < 0.01 ? "under 1%" : "only " + Math.floor(100 * p.share) + "%") + " of the product", "A trim, a print or a shadow, rarely the colour a catalog names"],
      person_region: ["model's skin or hair", "The colour is the model's skin or hair, not the product"],
      background: ["background", "The colour is the photo's backdrop, not the product"],
      ambiguous: ["another colour fits as well", "Another product colour is as good a match: check which one the catalog means"],
      shared_colour: ["shared with another name", "Another name picked the same colour"],
      unknown_name: ["unknown name", "Nothing knows this name: it got the product's main colour"],
    }[r] || [r.replace(/_/g, " "), ""];
    return el("span", { class: "tag warn reason", "data-reason": r, text: words[0], title: words[1] || null });
  }
})();
