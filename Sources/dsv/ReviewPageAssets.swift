/// The review page's stylesheet and script, inlined into every page so that it works offline
/// and from a mail attachment. DOM hooks for tools and tests (SPEC §6): each card has
/// `data-key` and `data-status` (the image: added, removed, modified); each annotation change
/// is one list item with `data-change` (added, removed, modified, relabeled) — every annotation
/// of an added or removed image too, so that counting them gives the summary's numbers — and
/// image-level changes (subset, fields, S3 object) have `data-image-change` instead. The image,
/// and its card, get `data-loaded` = `1` once the picture's pixels have loaded (`error` when it
/// failed, `0` before). Shapes are drawn in the image's declared `width` × `height`, the space
/// COCO places them in, whatever the stored picture's pixel size.
enum ReviewPageAssets {
    static let css = """
        :root { --added: #1a9c3a; --removed: #d62728; --modified: #e07b00; --relabeled: #8e44ad; }
        body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1d1f23; }
        header#top { background: #fff; padding: 12px 20px; border-bottom: 1px solid #ddd; }
        h1 { font-size: 17px; margin: 0 0 6px; }
        #summary { display: flex; flex-wrap: wrap; gap: 18px; align-items: flex-start; }
        #summary table { border-collapse: collapse; font-size: 12px; }
        #summary .categories { max-height: 160px; overflow-y: auto; padding-right: 8px; }
        #summary td, #summary th { padding: 1px 8px; text-align: right; }
        #summary th:first-child, #summary td:first-child { text-align: left; }
        .count { font-weight: 600; }
        .added { color: var(--added); } .removed { color: var(--removed); }
        .modified { color: var(--modified); } .relabeled { color: var(--relabeled); }
        #controls { margin-top: 8px; display: flex; gap: 14px; align-items: center; flex-wrap: wrap; }
        #controls label { cursor: pointer; }
        main { padding: 14px 20px; display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 14px; }
        .card { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 10px; outline: none; min-width: 0; }
        .card.current { box-shadow: 0 0 0 3px #4a90d9; }
        .card h2 { font-size: 13px; margin: 0 0 6px; font-weight: 500; word-break: break-all; }
        .badge { display: inline-block; padding: 0 6px; border-radius: 3px; color: #fff; font-size: 11px; margin-right: 6px; }
        .badge.added { background: var(--added); } .badge.removed { background: var(--removed); }
        .badge.modified { background: var(--modified); }
        .stage { position: relative; background: #222; line-height: 0; min-height: 80px; }
        .stage img { width: 100%; height: auto; display: block; }
        .stage svg { position: absolute; left: 0; top: 0; width: 100%; height: 100%; }
        .stage.missing { min-height: 240px; }
        .stage.missing img { display: none; }
        .stage .note { position: absolute; left: 8px; bottom: 8px; color: #ccc; background: rgba(34, 34, 34, 0.85); padding: 2px 4px; font: 12px system-ui; line-height: 1.2; }
        svg .shape { fill: none; stroke-width: 2.5; vector-effect: non-scaling-stroke; }
        svg .old { stroke-dasharray: 6 4; }
        svg .fill { stroke: none; }
        svg text { font-family: system-ui; font-weight: 600; paint-order: stroke; stroke: #000; stroke-width: 3px; vector-effect: non-scaling-stroke; }
        ul.changes { margin: 6px 0 0; padding-left: 18px; font-size: 12px; overflow-wrap: anywhere; }
        ul.changes code { font-size: 11px; }
        #pages { padding: 0 20px 30px; display: flex; gap: 8px; align-items: center; }
        button { font: inherit; padding: 2px 10px; }
        .hint { color: #777; font-size: 12px; }
        """

    static let script = #"""
        (function () {
          "use strict";
          const data = JSON.parse(document.getElementById("review-data").textContent);
          const diff = data.diff, PAGE = 100;
          const skeletons = data.skeletons || {};
          const images = diff.images.map((image, index) => ({ image, url: data.urls[index] }));
          const state = { kinds: new Set(["added", "removed", "modified"]), category: "", page: 0, current: -1 };
          const SVG = "http://www.w3.org/2000/svg";

          function el(tag, attributes, text) {
            const node = document.createElement(tag);
            for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
            if (text !== undefined) node.textContent = text;
            return node;
          }
          function svg(tag, attributes) {
            const node = document.createElementNS(SVG, tag);
            for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
            return node;
          }
          const short = (value) => { const text = JSON.stringify(value); return text.length > 60 ? text.slice(0, 57) + "…" : text; };
          // A changed value, old → new; two long ones alike at first (a polygon with one vertex
          // moved) are shown from an element a little before where they differ, as the text
          // review shows them.
          const changed = (from, to) => {
            const a = JSON.stringify(from), b = JSON.stringify(to);
            if (a === undefined || b === undefined || Math.max(a.length, b.length) <= 60) return short(from) + " → " + short(to);
            let common = 0;
            while (common < a.length && common < b.length && a[common] === b[common]) common++;
            if (common <= 40) return short(from) + " → " + short(to);
            const near = common - 16;
            let start = near;
            while (start > 0 && start > near - 16 && a[start - 1] !== "," && a[start - 1] !== "[") start--;
            if (start > 0 && a[start - 1] !== "," && a[start - 1] !== "[") start = near;  // inside a long string
            const cut = (text) => "…" + (text.length - start > 57 ? text.slice(start, start + 57) + "…" : text.slice(start));
            return cut(a) + " → " + cut(b);
          };

          // The summary of SPEC §6: counts, then annotations per category before → after.
          function renderSummary() {
            const s = diff.summary, box = document.getElementById("summary");
            const counts = el("div");
            counts.innerHTML =
              `<div>images: <span class="count added">+${s.images.added}</span> <span class="count removed">−${s.images.removed}</span> ` +
              `<span class="count modified">~${s.images.modified}</span> (${s.images.unchanged} unchanged)</div>` +
              `<div>annotations: <span class="count added">+${s.annotations.added}</span> <span class="count removed">−${s.annotations.removed}</span> ` +
              `<span class="count modified">~${s.annotations.modified}</span> <span class="count relabeled">↻${s.annotations.relabeled}</span> ` +
              `(${s.annotations.unchanged} unchanged)</div>` +
              (s.categories.added.length ? `<div class="added">new categories: ${s.categories.added.join(", ")}</div>` : "") +
              (s.categories.removed.length ? `<div class="removed">removed categories: ${s.categories.removed.join(", ")}</div>` : "");
            box.appendChild(counts);
            const table = el("table");
            table.appendChild(el("tr")).append(el("th", {}, "category"), el("th", {}, "before"), el("th", {}, "after"), el("th", {}, "Δ"));
            for (const [name, c] of Object.entries(s.per_category)) {
              if (c.delta === 0) continue;
              const row = table.appendChild(el("tr"));
              row.append(el("td", {}, name), el("td", {}, c.before), el("td", {}, c.after),
                         el("td", { class: c.delta > 0 ? "added" : "removed" }, (c.delta > 0 ? "+" : "") + c.delta));
            }
            if (table.rows.length > 1) box.appendChild(el("div", { class: "categories" })).appendChild(table);
          }

          // `--json` gives an annotation without a category_id a null category: named here as the
          // text review names it.
          const categoryOf = (x) => x.category ?? "(none)";

          function categoriesOf(image) {
            const a = image.annotations, names = new Set();
            for (const x of a.added.concat(a.removed)) names.add(categoryOf(x));
            for (const pair of a.modified.concat(a.relabeled)) { names.add(categoryOf(pair.from)); names.add(categoryOf(pair.to)); }
            return names;
          }

          function renderControls() {
            const nav = document.getElementById("controls");
            for (const kind of ["added", "removed", "modified"]) {
              const box = el("input", { type: "checkbox", checked: "", "data-kind": kind });
              box.addEventListener("change", () => { box.checked ? state.kinds.add(kind) : state.kinds.delete(kind); state.page = 0; renderPage(); });
              const label = el("label", { class: kind });
              label.append(box, " " + kind + " (" + images.filter((x) => x.image.status === kind).length + ")");
              nav.appendChild(label);
            }
            const all = new Set();
            images.forEach((x) => categoriesOf(x.image).forEach((name) => all.add(name)));
            const select = el("select", { id: "category" });
            select.appendChild(el("option", { value: "" }, "all categories"));
            [...all].sort().forEach((name) => select.appendChild(el("option", { value: name }, name)));
            select.addEventListener("change", () => { state.category = select.value; state.page = 0; renderPage(); });
            nav.appendChild(select);
            nav.appendChild(el("span", { class: "hint" }, "j/k or ↓/↑: next/previous image · n/p: next/previous page"));
          }

          const visible = () => images.filter((x) => state.kinds.has(x.image.status) &&
                                                     (!state.category || categoriesOf(x.image).has(state.category)));

          // RLE masks in both COCO forms: counts as a list, or as pycocotools' compressed string.
          function rleCounts(counts) {
            if (Array.isArray(counts)) return counts;
            const out = []; let p = 0;
            while (p < counts.length) {
              let x = 0, k = 0, more = 1;
              while (more) {
                const c = counts.charCodeAt(p) - 48;
                x |= (c & 0x1f) << (5 * k); more = c & 0x20; p++; k++;
                if (!more && (c & 0x10)) x |= -1 << (5 * k);
              }
              if (out.length > 2) x += out[out.length - 2];
              out.push(x);
            }
            return out;
          }
          function maskImage(rle, color) {
            const [h, w] = rle.size, counts = rleCounts(rle.counts);
            const canvas = document.createElement("canvas"); canvas.width = w; canvas.height = h;
            const context = canvas.getContext("2d"), pixels = context.createImageData(w, h);
            const [r, g, b] = [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));
            let index = 0;
            counts.forEach((run, i) => {
              if (i % 2 === 1) for (let j = index; j < index + run && j < w * h; j++) {
                const x = Math.floor(j / h), y = j % h, o = (y * w + x) * 4;   // column-major
                pixels.data[o] = r; pixels.data[o + 1] = g; pixels.data[o + 2] = b; pixels.data[o + 3] = 110;
              }
              index += run;
            });
            context.putImageData(pixels, 0, 0);
            return svg("image", { href: canvas.toDataURL(), x: 0, y: 0, width: w, height: h, class: "fill" });
          }

          const colors = { added: "#1a9c3a", removed: "#d62728", modified: "#e07b00", relabeled: "#8e44ad" };

          // One annotation's shapes: box, polygons or mask, keypoints with their skeleton, a label.
          function drawShape(layer, annotation, kind, old, label, extent) {
            const color = colors[kind], cls = "shape " + (old ? "old" : "new");
            const group = layer.appendChild(svg("g", { "data-kind": kind, "data-side": old ? "old" : "new" }));
            const grow = (x, y) => { extent.w = Math.max(extent.w, x); extent.h = Math.max(extent.h, y); };
            const box = annotation.bbox;
            if (Array.isArray(box) && box.length === 4) {
              group.appendChild(svg("rect", { x: box[0], y: box[1], width: box[2], height: box[3], stroke: color, class: cls }));
              grow(box[0] + box[2], box[1] + box[3]);
            }
            const segmentation = annotation.segmentation;
            if (Array.isArray(segmentation)) {
              for (const polygon of segmentation) {
                if (!Array.isArray(polygon) || polygon.length < 6) continue;
                const points = [];
                for (let i = 0; i + 1 < polygon.length; i += 2) { points.push(polygon[i] + "," + polygon[i + 1]); grow(polygon[i], polygon[i + 1]); }
                group.appendChild(svg("polygon", { points: points.join(" "), stroke: color, class: cls }));
              }
            } else if (segmentation && segmentation.counts && segmentation.size) {
              try { group.appendChild(maskImage(segmentation, color)); grow(segmentation.size[1], segmentation.size[0]); } catch (e) { /* a bad mask draws nothing */ }
            }
            const keypoints = annotation.keypoints;
            if (Array.isArray(keypoints)) {
              const skeleton = skeletons[annotation.category] || [];
              for (const [a, b] of skeleton) {
                const i = (a - 1) * 3, j = (b - 1) * 3;
                if (keypoints[i + 2] > 0 && keypoints[j + 2] > 0)
                  group.appendChild(svg("line", { x1: keypoints[i], y1: keypoints[i + 1], x2: keypoints[j], y2: keypoints[j + 1], stroke: color, class: cls }));
              }
              for (let i = 0; i + 2 < keypoints.length; i += 3) {
                if (keypoints[i + 2] > 0) {
                  group.appendChild(svg("circle", { cx: keypoints[i], cy: keypoints[i + 1], r: 3, fill: color, class: "fill" }));
                  grow(keypoints[i], keypoints[i + 1]);
                }
              }
            }
            if (label && Array.isArray(box)) {
              const text = group.appendChild(svg("text", { x: box[0] + 2, y: Math.max(12, box[1] - 4), fill: color,
                                                           "data-x": box[0] + 2, "data-y": box[1] - 4 }));
              text.textContent = label;
            }
          }

          // Labels keep a readable size whatever the picture's resolution, stay inside the
          // picture, and do not cover one another: a label that would cover one already placed
          // moves a line up (or, at the top, down) until it is clear — a removed and an added
          // box on one spot.
          function placeLabels(overlay, width, height) {
            const size = Math.max(8, width / 40), line = size * 1.25, placed = [];
            const clear = (x, y, w) => !placed.some((p) => x < p.x + p.w && p.x < x + w && y - size < p.y + size * 0.3 && p.y - size < y + size * 0.3);
            overlay.querySelectorAll("text").forEach((text) => {
              text.setAttribute("font-size", size);
              const measured = text.getComputedTextLength ? text.getComputedTextLength() : 0;
              const w = measured > 0 ? measured : text.textContent.length * size * 0.65;
              const x = Math.max(0, Math.min(Number(text.dataset.x), width - w));
              const wanted = Math.min(Math.max(size, Number(text.dataset.y)), height);
              let y = wanted;
              for (let step = 1; step <= 40 && !clear(x, y, w); step++) {
                const up = wanted - Math.ceil(step / 2) * line, down = wanted + Math.ceil(step / 2) * line;
                y = step % 2 && up >= size ? up : down;
              }
              text.setAttribute("x", x);
              text.setAttribute("y", y);
              placed.push({ x, y, w });
            });
          }

          function card(entry, position) {
            const image = entry.image, a = image.annotations;
            const section = el("section", { class: "card", "data-key": image.key, "data-status": image.status,
                                            "data-loaded": "0", tabindex: "-1", "data-position": position });
            const title = section.appendChild(el("h2"));
            title.append(el("span", { class: "badge " + image.status }, image.status), image.key);
            const stage = section.appendChild(el("div", { class: "stage" }));
            const picture = stage.appendChild(el("img", { alt: image.key, loading: "lazy", "data-loaded": "0" }));
            const overlay = stage.appendChild(svg("svg", { preserveAspectRatio: "none" }));
            const extent = { w: 1, h: 1 };
            const list = section.appendChild(el("ul", { class: "changes" }));
            // One element per annotation change (data-change), others marked as the image's own.
            const item = (kind, text) => list.appendChild(el("li", { class: kind, "data-change": kind }, text));
            const imageItem = (what, text) => list.appendChild(el("li", { class: "modified " + what, "data-image-change": what }, text));
            // An annotation without a box (a caption, a panoptic image's segments) is told by its
            // other members, as the text review does.
            const told = (x) => {
              if (x.bbox !== undefined) return categoryOf(x);
              const rest = Object.fromEntries(Object.entries(x).filter(([k]) => !["id", "image_id", "category_id", "category"].includes(k)));
              return categoryOf(x) + " " + short(rest);
            };
            for (const x of a.removed) { drawShape(overlay, x, "removed", true, categoryOf(x), extent); item("removed", "removed " + told(x)); }
            for (const x of a.added) { drawShape(overlay, x, "added", false, categoryOf(x), extent); item("added", "added " + told(x)); }
            for (const pair of a.modified) {
              const fields = pair.changes.map((c) => c.field);
              drawShape(overlay, pair.from, "modified", true, null, extent);
              drawShape(overlay, pair.to, "modified", false, categoryOf(pair.to) + ": " + fields.join(", "), extent);
              item("modified", "modified " + categoryOf(pair.to) + ": " +
                   pair.changes.map((c) => c.field + " " + changed(c.from, c.to)).join("; "));
            }
            for (const pair of a.relabeled) {
              drawShape(overlay, pair.from, "relabeled", true, null, extent);
              drawShape(overlay, pair.to, "relabeled", false, categoryOf(pair.from) + " → " + categoryOf(pair.to), extent);
              item("relabeled", "relabeled " + categoryOf(pair.from) + " → " + categoryOf(pair.to));
            }
            if (image.subset) imageItem("subset", "subset " + image.subset.from + " → " + image.subset.to);
            for (const field of image.fields || []) imageItem("field", "image " + field.field + ": " + changed(field.from, field.to));
            if (image.object) imageItem("object", "S3 object changed: ETag " + (image.object.from ? image.object.from.etag : "none") +
                                        " → " + (image.object.to ? image.object.to.etag : "none"));
            // COCO's coordinates are in the declared width × height; a picture stored at another
            // size (a thumbnail, a downscaled copy) is stretched to it, never the shapes to it.
            const declared = image.width > 0 && image.height > 0 ? { w: image.width, h: image.height } : null;
            const settle = (loaded) => {
              picture.dataset.loaded = section.dataset.loaded = loaded ? "1" : "error";
              const space = declared || (loaded ? { w: picture.naturalWidth, h: picture.naturalHeight } : { w: extent.w * 1.05, h: extent.h * 1.05 });
              const width = space.w, height = space.h;
              overlay.setAttribute("viewBox", `0 0 ${width} ${height}`);
              // The declared shape gives the stage its height; a minimum height besides would
              // widen a wide image's stage past its card (the minimum carries over the ratio).
              if (!loaded && declared) Object.assign(stage.style, { aspectRatio: `${width} / ${height}`, minHeight: "0" });
              placeLabels(overlay, width, height);
              if (!loaded) {
                stage.classList.add("missing");
                stage.appendChild(el("div", { class: "note" }, entry.url ? "image could not be loaded" : "no image source (use --images-from or an S3 prefix)"));
              }
            };
            picture.addEventListener("load", () => settle(true));
            picture.addEventListener("error", () => settle(false));
            if (entry.url) picture.src = entry.url; else settle(false);
            return section;
          }

          function renderPage() {
            const shown = visible(), pages = Math.max(1, Math.ceil(shown.length / PAGE));
            state.page = Math.min(state.page, pages - 1);
            const main = document.getElementById("cards");
            main.replaceChildren(...shown.slice(state.page * PAGE, (state.page + 1) * PAGE).map((x, i) => card(x, i)));
            state.current = -1;
            const nav = document.getElementById("pages");
            const previous = el("button", { id: "previous-page" }, "← previous"), next = el("button", { id: "next-page" }, "next →");
            previous.disabled = state.page === 0; next.disabled = state.page >= pages - 1;
            previous.onclick = () => turn(-1); next.onclick = () => turn(1);
            nav.replaceChildren(previous, el("span", { id: "page-number" }, `page ${state.page + 1} of ${pages} · ${shown.length} images`), next);
          }
          function turn(delta) {
            const pages = Math.max(1, Math.ceil(visible().length / PAGE));
            const page = Math.min(pages - 1, Math.max(0, state.page + delta));
            if (page !== state.page) { state.page = page; renderPage(); window.scrollTo(0, 0); }
          }
          function focus(delta) {
            const cards = document.querySelectorAll("#cards .card");
            if (!cards.length) return;
            if (state.current >= 0 && cards[state.current]) cards[state.current].classList.remove("current");
            state.current = Math.min(cards.length - 1, Math.max(0, state.current + delta));
            const target = cards[state.current];
            target.classList.add("current"); target.focus({ preventScroll: true });
            target.scrollIntoView({ block: "center" });
          }
          document.addEventListener("keydown", (event) => {
            if (event.target.tagName === "SELECT" || event.target.tagName === "INPUT") return;
            if (event.key === "j" || event.key === "ArrowDown") { focus(1); event.preventDefault(); }
            else if (event.key === "k" || event.key === "ArrowUp") { focus(-1); event.preventDefault(); }
            else if (event.key === "n") turn(1);
            else if (event.key === "p") turn(-1);
          });

          renderSummary();
          renderControls();
          renderPage();
        })();
        """#
}
