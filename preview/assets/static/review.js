// The review page: the swatches that need a person (GET v1/review), and
// for one of them its photo, the photo's colours (POST v1/preview, the
// analysis of the preview page) and a fix: a shade per name from a
// candidate, the photo (an averaged 7×7 px area) or a hex code, previewed
// as the server renders it (POST v1/fix/preview) and published with the
// admin token (POST v1/fix). Dead letters can be sent again, fixed
// swatches unpinned.
"use strict";

(function () {
  const admin = document.body.dataset.admin === "true";
  const list = $("#items");
  const count = $("#count");
  const search = $("#q");
  const tokenInput = $("#token");
  const byInput = $("#fixed-by");
  const detail = $("#detail");
  const SAMPLE = 7; // the eyedropper's area, in photo pixels

  loadToken(tokenInput);
  byInput.value = localStorage.getItem("palette-fixed-by") || "";
  byInput.addEventListener("change", () => localStorage.setItem("palette-fixed-by", byInput.value.trim()));

  const REASONS = {
    low_confidence: "Unsure pick",
    unknown_name: "Unknown name",
    dead_letter: "Failed job",
    manual: "Fixed by hand",
  };

  let reason = "";
  let next = "";
  let loading = 0;
  let open = null; // the item opened: {item, rows, analysis, active}
  let shown = 0; // swatch thumbnails are asked again after a change

  // ---- the list ----
  for (const b of document.querySelectorAll(".filter")) {
    b.addEventListener("click", () => {
      reason = b.dataset.reason;
      for (const o of document.querySelectorAll(".filter")) o.setAttribute("aria-pressed", String(o === b));
      load(false);
    });
  }
  search.addEventListener("input", debounce(() => load(false), 250));
  $("#more").addEventListener("click", () => load(true));

  async function load(more) {
    const id = ++loading;
    const p = new URLSearchParams({ limit: "30" });
    if (reason) p.set("reason", reason);
    if (search.value.trim()) p.set("q", search.value.trim());
    if (more && next) p.set("cursor", next);
    count.textContent = "Loading…";
    const r = await api("v1/review?" + p.toString());
    if (id !== loading) return;
    if (!r.ok) {
      list.replaceChildren();
      $("#more").hidden = true;
      count.textContent = "";
      if (r.status === 404 && r.data && r.data.code === "not_found") {
        notice("The review list needs the Kafka brokers: it is served by palette-worker, or by palettecli serve started with -brokers ADDR.");
      } else {
        notice(r.data.error);
      }
      return;
    }
    $("#notice").hidden = true;
    const d = r.data;
    next = d.next;
    const rows = d.items.map(itemRow);
    if (more) list.append(...rows); else list.replaceChildren(...rows);
    $("#more").hidden = !next;
    const n = list.children.length;
    count.textContent = d.total === 0 ? (reason || search.value.trim() ? "Nothing matches." : "Nothing needs a look. Swatches palette is unsure of, and jobs that fail, show here.")
      : (d.total === 1 ? "1 item" : d.total + " items") + (n < d.total ? ", " + n + " shown" : "") + ", newest first";
    markOpen();
  }

  function notice(msg) {
    const n = $("#notice");
    n.textContent = msg;
    n.hidden = false;
  }

  function itemRow(it) {
    const names = it.colors.length
      ? it.colors.map((c) => el("span", { class: "iname" + (c.low_confidence ? " flag" : "") },
        el("span", { class: "chip", bg: c.hex, "aria-hidden": "true" }), c.name, " ",
        el("span", { class: "hex", text: c.hex }),
        it.reason === "manual" ? null : c.via === "unknown" ? el("span", { class: "de", text: " · unknown name" }) : el("span", { class: "de", text: " · ΔE " + (c.delta_e || 0).toFixed(1) })))
      : (it.names || []).map((n) => el("span", { class: "iname" }, n));
    const b = el("button", { type: "button", class: "item", "data-id": it.id, "data-reason": it.reason },
      el("span", { class: "thumbs", "aria-hidden": "true" },
        thumb("v1/review/" + it.id + "/image", "thumb photo"),
        it.output ? thumb("v1/review/" + it.id + "/swatch?v=" + shown, "thumb sw px") : el("span", { class: "thumb sw none" })),
      el("span", { class: "itext" },
        el("span", { class: "ihead" }, el("span", { class: "pid", text: it.product_id || "(no product id)" }), " ",
          el("span", { class: "tag" + (it.reason === "manual" ? "" : " warn"), text: REASONS[it.reason] || it.reason })),
        el("span", { class: "inames" }, names),
        it.error ? el("span", { class: "ierror", text: it.error }) : null,
        el("span", { class: "iwhen", text: when(it.at) + (it.fixed_by ? " · fixed by " + it.fixed_by : "") })));
    b.addEventListener("click", () => openItem(it, b));
    return el("li", {}, b);
  }

  function thumb(src, cls) {
    const img = el("img", { class: cls, src: src, alt: "", loading: "lazy" });
    // No photo or swatch to show: a placeholder, not a broken image.
    img.addEventListener("error", () => img.replaceWith(el("span", { class: cls + " broken" })));
    return img;
  }

  function when(at) {
    const t = new Date(at);
    return isNaN(t) ? "" : t.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  }

  function markOpen() {
    for (const b of list.querySelectorAll(".item")) {
      if (open && b.dataset.id === open.item.id) b.setAttribute("aria-current", "true");
      else b.removeAttribute("aria-current");
    }
  }

  // ---- one item ----
  $("#back").addEventListener("click", () => {
    const b = open && list.querySelector('.item[data-id="' + CSS.escape(open.item.id) + '"]');
    if (b) { b.scrollIntoView({ block: "center" }); b.focus(); }
  });

  function openItem(it, button) {
    open = { item: it, rows: [], analysis: null, active: 0 };
    markOpen();
    $("#empty").hidden = true;
    detail.hidden = false;
    flash("");
    $("#d-title").textContent = it.product_id || "(no product id)";
    $("#d-meta").replaceChildren(el("span", { class: "tag warn", text: REASONS[it.reason] || it.reason }), " ", when(it.at),
      it.fixed_by ? " · fixed by " + it.fixed_by : "");
    $("#d-image").textContent = it.image || "(none)";
    $("#d-output").textContent = it.output || "(none: the worker's default place)";

    const letter = it.reason === "dead_letter";
    $("#d-letter").hidden = !letter;
    if (letter) {
      $("#d-class").textContent = it.class === "permanent" ? "cannot succeed as it is" : it.class ? "gave up after " + (it.attempts || "several") + " tries" : "";
      $("#d-class").hidden = !it.class;
      $("#d-error").textContent = it.error || "No reason was recorded.";
      $("#redrive").disabled = false;
    }
    $("#d-pinned").hidden = true;

    // Names, with the shades picked (none yet for a dead letter).
    const names = it.colors.length ? it.colors : (it.names || []).map((n) => ({ name: n, hex: "" }));
    open.rows = names.map((c, i) => fixRow(c, i));
    $("#d-names").replaceChildren(...open.rows.map((r) => r.node));
    setActive(0);

    const fixable = !!it.output && names.length > 0;
    $("#d-fix").hidden = !fixable && !it.image;
    $("#publish").disabled = !fixable || !admin;
    $("#publish").title = !admin ? "This server was started without an admin token" : !it.output ? "This job named no swatch to write" : "";
    $("#d-sw-status").textContent = "";
    for (const id of ["#d-sw1", "#d-sw4"]) $(id).removeAttribute("src");
    $("#d-sw-now").parentElement.parentElement.hidden = !it.output;
    if (it.output) showNow(it);

    showPhoto(it);
    analyse(it, names.map((c) => c.name));
    if (it.output && !letter) pinState(it);
    preview();

    if (window.matchMedia("(max-width: 900px)").matches) detail.scrollIntoView({ block: "start" });
    $("#d-title").focus({ preventScroll: !window.matchMedia("(max-width: 900px)").matches });
  }

  // fixRow is one name of the fix: its name (editable), its shade, what
  // the pipeline picked.
  function fixRow(c, i) {
    const chip = el("span", { class: "chip", "aria-hidden": "true" });
    const name = el("input", { type: "text", class: "fname", value: c.name, "aria-label": "Colour name " + (i + 1), spellcheck: "false", autocomplete: "off" });
    const hex = el("input", { type: "text", class: "fhex", value: c.hex || "", "aria-label": "Hex code for colour " + (i + 1), placeholder: "#rrggbb", spellcheck: "false", autocomplete: "off", maxlength: "7" });
    const manual = open.item.reason === "manual";
    const was = c.hex ? el("span", { class: "was" }, manual ? "fixed as " : "palette picked ", el("span", { class: "hex", text: c.hex }),
      manual ? "" : c.via === "unknown" ? " (unknown name)" : c.delta_e !== undefined ? " · ΔE " + c.delta_e.toFixed(1) : "",
      c.low_confidence ? el("span", { class: "tag warn", text: "unsure" }) : null) : el("span", { class: "was", text: "no shade yet" });
    const sel = el("button", { type: "button", class: "btn small select", "aria-pressed": "false" }, "Select");
    const node = el("div", { class: "fix-row", "data-index": i }, chip, el("span", { class: "fields" }, name, hex), sel, was);
    const row = { node: node, name: name, hex: hex, chip: chip, sel: sel, orig: c };
    const changed = () => { paint(row); preview(); };
    name.addEventListener("input", changed);
    hex.addEventListener("input", changed);
    hex.addEventListener("change", () => { const v = normHex(hex.value); if (v) hex.value = v; changed(); });
    node.addEventListener("focusin", () => setActive(i));
    node.addEventListener("click", () => setActive(i));
    paint(row);
    return row;
  }

  function normHex(v) {
    v = v.trim().toLowerCase();
    if (/^[0-9a-f]{6}$/.test(v)) v = "#" + v;
    return /^#[0-9a-f]{6}$/.test(v) ? v : null;
  }

  function paint(row) {
    const h = normHex(row.hex.value);
    row.chip.style.background = h || "";
    row.hex.classList.toggle("invalid", row.hex.value.trim() !== "" && !h);
    row.name.classList.toggle("invalid", row.name.value.trim() === "");
  }

  function setActive(i) {
    if (!open) return;
    open.active = i;
    open.rows.forEach((r, j) => {
      r.node.classList.toggle("active", j === i);
      r.sel.setAttribute("aria-pressed", String(j === i));
      r.sel.textContent = j === i ? "Selected" : "Select";
    });
    const r = open.rows[i];
    const who = r ? "“" + (r.name.value.trim() || "colour " + (i + 1)) + "”" : "the selected name";
    $("#d-photo-cap").textContent = "Click the photo to take the colour of a 7 × 7 px area for " + who + ".";
    for (const b of document.querySelectorAll("#d-cands .cand")) b.setAttribute("aria-label", "Use " + b.dataset.hex + " for " + who);
  }

  // setShade gives the selected name a shade (from a candidate or the
  // photo) and moves on to the next name without one.
  function setShade(hex) {
    const r = open && open.rows[open.active];
    if (!r) return;
    r.hex.value = hex;
    paint(r);
    preview();
  }

  // ---- the photo and the eyedropper ----
  const photo = $("#d-photo");
  const spot = $("#d-spot");
  function showPhoto(it) {
    spot.hidden = true;
    photo.dataset.reduced = "";
    photo.removeAttribute("src");
    $("#d-photo-wrap").classList.remove("broken");
    if (it.image) photo.src = "v1/review/" + it.id + "/image";
  }
  photo.addEventListener("error", () => {
    // The store is not reachable from here, or the browser cannot show
    // the format: the analysis' reduced copy, if there is one.
    const a = open && open.analysis;
    if (a && a.photo && !photo.dataset.reduced) {
      photo.dataset.reduced = "true";
      photo.src = "data:image/jpeg;base64," + a.photo;
      return;
    }
    if (photo.getAttribute("src")) $("#d-photo-wrap").classList.add("broken");
  });
  photo.addEventListener("click", (e) => {
    if (!open || !photo.naturalWidth) return;
    const rect = photo.getBoundingClientRect();
    const x = Math.floor((e.clientX - rect.left) * photo.naturalWidth / rect.width);
    const y = Math.floor((e.clientY - rect.top) * photo.naturalHeight / rect.height);
    const hex = sample(photo, x, y);
    if (!hex) return;
    const side = Math.max(6, SAMPLE * rect.width / photo.naturalWidth);
    spot.style.width = spot.style.height = side + "px";
    spot.style.left = (e.clientX - rect.left - side / 2) + "px";
    spot.style.top = (e.clientY - rect.top - side / 2) + "px";
    spot.style.background = hex;
    spot.hidden = false;
    setShade(hex);
  });

  // sample is the mean colour of the SAMPLE×SAMPLE pixels around (x, y)
  // of img at its natural resolution (clamped to the image), transparent
  // pixels left out.
  function sample(img, x, y) {
    const w = Math.min(SAMPLE, img.naturalWidth), h = Math.min(SAMPLE, img.naturalHeight);
    const sx = Math.max(0, Math.min(img.naturalWidth - w, x - (SAMPLE >> 1)));
    const sy = Math.max(0, Math.min(img.naturalHeight - h, y - (SAMPLE >> 1)));
    const c = document.createElement("canvas");
    c.width = w; c.height = h;
    const ctx = c.getContext("2d", { willReadFrequently: true });
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(img, sx, sy, w, h, 0, 0, w, h);
    const px = ctx.getImageData(0, 0, w, h).data;
    let r = 0, g = 0, b = 0, n = 0;
    for (let i = 0; i < px.length; i += 4) {
      if (px[i + 3] === 0) continue;
      r += px[i]; g += px[i + 1]; b += px[i + 2]; n++;
    }
    if (!n) return null;
    const hx = (v) => Math.round(v / n).toString(16).padStart(2, "0");
    return "#" + hx(r) + hx(g) + hx(b);
  }

  // ---- the analysis: the preview page's, on the item's photo ----
  async function analyse(it, names) {
    const st = $("#d-analysis");
    $("#d-cands").replaceChildren();
    if (!it.image || !names.length) { st.className = "status"; st.textContent = ""; return; }
    st.className = "status busy";
    st.textContent = "Looking at the photo…";
    const r = await api("v1/preview", { method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ image: it.image, colors: names }) });
    if (!open || open.item !== it) return;
    if (!r.ok) {
      st.className = "status error";
      st.textContent = "The photo could not be analysed: " + r.data.error + " You can still type a hex code.";
      return;
    }
    st.className = "status";
    st.textContent = "";
    const d = r.data;
    open.analysis = d;
    if ($("#d-photo-wrap").classList.contains("broken")) {
      $("#d-photo-wrap").classList.remove("broken");
      photo.dataset.reduced = "true";
      photo.src = "data:image/jpeg;base64," + d.photo;
    }
    // A dead letter's names get the pipeline's picks to start from.
    d.colors.forEach((p, i) => {
      const row = open.rows[i];
      if (row && !row.hex.value) { row.hex.value = p.hex; paint(row); }
    });
    const picked = new Map();
    d.colors.forEach((p) => picked.set(p.candidate, (picked.get(p.candidate) || []).concat(p.name)));
    $("#d-cands").replaceChildren(...d.candidates.map((c, i) => {
      const where = region(c);
      const b = el("button", { type: "button", class: "cand", "data-hex": c.hex, "data-region": where },
        el("span", { class: "chip", bg: c.hex, "aria-hidden": "true" }),
        el("span", { class: "ctext" },
          el("span", { class: "hex", text: c.hex }), " ",
          el("span", { class: "share", text: pct(c.share, 1) }),
          where === "person" ? [" ", el("span", { class: "tag person", text: "model" })] : null,
          where === "background" ? [" ", el("span", { class: "tag", text: "background" })] : null,
          picked.has(i) ? el("span", { class: "who", text: "palette: " + picked.get(i).join(", ") }) : null));
      b.addEventListener("click", () => setShade(c.hex));
      return b;
    }));
    setActive(open.active);
    preview();
  }

  // ---- the swatch to publish, rendered by the server ----
  function fixColors() {
    if (!open) return null;
    const out = [];
    for (const r of open.rows) {
      const name = r.name.value.trim(), hex = normHex(r.hex.value);
      if (!name || !hex) return null;
      out.push({ name: name, hex: hex });
    }
    return out.length ? out : null;
  }

  let previewing = 0;
  const preview = debounce(async () => {
    const st = $("#d-sw-status");
    const colors = fixColors();
    const id = ++previewing;
    if (!colors) {
      st.textContent = "Give each name a shade (#rrggbb) to see the swatch.";
      $("#publish").dataset.ready = "";
      return;
    }
    const r = await fetchPNG("v1/fix/preview", { colors: colors });
    if (id !== previewing) return;
    if (r.error) { st.textContent = r.error; return; }
    for (const img of [$("#d-sw1"), $("#d-sw4")]) {
      if (img.src.startsWith("blob:")) URL.revokeObjectURL(img.src);
      img.src = URL.createObjectURL(r.blob);
      img.dataset.colors = colors.map((c) => c.hex).join(" ");
    }
    st.textContent = "The swatch as it will be published: " + colors.map((c) => c.name + " " + c.hex).join(", ") + ".";
  }, 150);

  // fetchPNG posts JSON and returns {blob} or {error}.
  async function fetchPNG(path, body) {
    let resp;
    try {
      resp = await fetch(path, { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    } catch (e) {
      return { error: "The server cannot be reached." };
    }
    if (resp.ok) return { blob: await resp.blob() };
    let msg = "The swatch cannot be shown (" + resp.status + ").";
    try { msg = (await resp.json()).error || msg; } catch (e) { /* not JSON */ }
    return { error: msg };
  }

  // ---- admin actions ----
  function token() {
    const t = tokenInput ? tokenInput.value.trim() : "";
    if (!t) {
      flash(admin ? "Type the admin token first (at the top of the page)." : "This server was started without an admin token: nothing can be changed here.", "error");
      if (tokenInput) tokenInput.focus();
    }
    return t;
  }

  async function adminCall(path, method, body) {
    const t = token();
    if (!t) return null;
    const r = await api(path, { method: method, headers: Object.assign({ Authorization: "Bearer " + t }, body ? { "Content-Type": "application/json" } : {}),
      body: body ? JSON.stringify(body) : undefined });
    if (r.ok) saveToken(t);
    else {
      flash(r.data.error, "error");
      if (r.status === 401 && tokenInput) tokenInput.focus();
    }
    return r.ok ? r : null;
  }

  $("#publish").addEventListener("click", async () => {
    const it = open && open.item;
    if (!it) return;
    const colors = fixColors();
    if (!colors) {
      flash("Give every name a name and a shade like #1a2b3c first.", "error");
      const bad = open.rows.find((r) => !r.name.value.trim() || !normHex(r.hex.value));
      if (bad) (bad.name.value.trim() ? bad.hex : bad.name).focus();
      return;
    }
    const by = byInput.value.trim();
    if (!by) { flash("Type your name first (at the top of the page): it is kept with the fix.", "error"); byInput.focus(); return; }
    localStorage.setItem("palette-fixed-by", by);
    const btn = $("#publish");
    btn.disabled = true;
    flash("Publishing…", "ok");
    const r = await adminCall("v1/fix", "POST", { product_id: it.product_id, image: it.image, output: it.output, colors: colors, fixed_by: by });
    btn.disabled = false;
    if (!r) return;
    flash("Published: the swatch now has " + colors.map((c) => c.name + " " + c.hex).join(", ") + ". It is kept when the job runs again.", "ok");
    showPinned(r.data.fix);
    refreshSwatches();
  });

  $("#redrive").addEventListener("click", async () => {
    const it = open && open.item;
    if (!it) return;
    const r = await adminCall("v1/review/redrive", "POST", { id: it.id });
    if (!r) return;
    $("#redrive").disabled = true;
    flash("Sent again: the job is back in the queue. Its new result (or a new failure) shows here when it has run.", "ok");
  });

  $("#unpin").addEventListener("click", async () => {
    const it = open && open.item;
    if (!it) return;
    const r = await adminCall("v1/fix?output=" + encodeURIComponent(it.output), "DELETE");
    if (!r) return;
    $("#d-pinned").hidden = true;
    flash("Unpinned: the next job for this product makes the swatch again.", "ok");
    $("#publish").focus();
  });

  // pinState asks whether the swatch is pinned (fixed by hand).
  async function pinState(it) {
    const r = await api("v1/fix?output=" + encodeURIComponent(it.output));
    if (!open || open.item !== it || !r.ok) return;
    if (r.data.pinned) showPinned(r.data.fix);
  }

  function showPinned(fix) {
    const f = fix || {};
    $("#d-pinned-text").textContent = "Fixed by hand" + (f.fixed_by ? " by " + f.fixed_by : "") + (f.fixed_at ? ", " + when(f.fixed_at) : "") +
      ": jobs for this product keep this swatch. Unpin to let the next job make it again.";
    $("#d-pinned").hidden = false;
    $("#unpin").disabled = !admin;
  }

  function refreshSwatches() {
    showNow(open.item);
    load(false);
  }

  // showNow shows the swatch in the store now (asked again each time: a
  // fix changes it), or says there is none.
  const now = $("#d-sw-now");
  const nowNone = el("span", { class: "sw-none", text: "none yet" });
  now.addEventListener("error", () => { now.hidden = true; now.after(nowNone); });
  function showNow(it) {
    nowNone.remove();
    now.hidden = false;
    now.src = "v1/review/" + it.id + "/swatch?v=" + (++shown);
  }

  function flash(msg, kind) {
    const m = $("#d-msg");
    m.hidden = !msg;
    m.className = "msg " + (kind || "");
    m.textContent = msg;
  }

  load(false);
})();
