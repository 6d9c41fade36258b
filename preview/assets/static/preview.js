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
    wl.replaceChildren(...d.warnings.map((w) => el("li", { "data-kind": w.kind },
      w.message, w.add ? [" ", addLink(w.add)] : null)));
    $("#warnings").hidden = d.warnings.length === 0;
    $("#all-good").hidden = d.warnings.length !== 0;
    const flagged = new Set();
    for (const w of d.warnings) for (const n of w.names) flagged.add(n);

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
    const product = d.candidates.map((c, i) => Object.assign({ i: i }, c)).filter((c) => !c.background);
    const total = product.reduce((s, c) => s + c.share, 0) || 1;
    $("#bar").replaceChildren(...product.map((c) => el("span", {
      bg: c.hex, "width%": (100 * c.share / total).toFixed(2), class: pickedBy.has(c.i) ? "picked" : null,
      title: c.hex + " · " + pct(c.share, 1) + (pickedBy.has(c.i) ? " · " + pickedBy.get(c.i).join(", ") : ""),
    })));
    $("#legend").replaceChildren(...d.candidates.map((c, i) => el("li", { "data-hex": c.hex },
      el("span", { class: "chip", bg: c.hex }),
      el("span", { class: "hex", text: c.hex }),
      pickedBy.has(i) ? el("span", { class: "who", text: "← " + pickedBy.get(i).join(", ") }) : null,
      c.background ? el("span", { class: "tag", text: "background" }) : null,
      el("span", { class: "share", text: pct(c.share, 1) }),
    )));

    // Photos.
    $("#photos").hidden = false;
    $("#photo").src = d.photo ? "data:image/jpeg;base64," + d.photo : photoURL;
    $("#quantized").src = "data:image/png;base64," + d.quantized;
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
    const c = d.candidates[p.candidate];
    return el("div", { class: "pick" + (flagged ? " flag" : ""), "data-name": p.name, "data-hex": p.hex, "data-via": p.via },
      el("span", { class: "chip", bg: p.hex, title: p.hex }),
      el("span", { class: "name" }, p.name, " ", read ? el("span", { class: "tag warn", text: "not in map" }) : null,
        c && c.background ? el("span", { class: "tag warn", text: "background" }) : null),
      el("span", { class: "stat" },
        multi ? el("b", { text: pct(p.share) }) : p.via === "unknown" ? el("b", { text: "ΔE –" }) : el("b", { text: "ΔE " + p.delta_e.toFixed(1) }),
        el("span", { class: "sub", text: multi ? "of the product" : p.via === "unknown" ? "no shade to compare" : deWords(p.delta_e) })),
      el("span", { class: "stat" },
        el("b", { text: pct(p.confidence) }), " confidence",
        p.low_confidence ? el("span", { class: "tag warn", text: "low" }) : null,
        el("span", { class: "meter " + (p.low_confidence ? "poor" : confClass(p.confidence)) }, el("span", { "width%": (100 * p.confidence).toFixed(0) }))),
      el("span", { class: "how" }, el("span", { class: "hex", text: p.hex }), " · ", read ? el("span", { class: "read", text: read }) : how),
    );
  }
})();
