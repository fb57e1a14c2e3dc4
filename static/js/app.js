// With JavaScript the intent is read as it is typed (htmx); the button that does it without goes.
document.documentElement.classList.add("js");

// The upload: like other uploaders, files can be chosen or dropped (more are added, not
// swapped), each can be removed, an unreadable one is named, and "Extract taste" waits until
// 3 to 5 readable images are chosen. The input's files are the list (a DataTransfer), so the
// form sends exactly what is shown. Without JavaScript the plain file input does all this job.
const MIN_IMAGES = 3;
const MAX_IMAGES = 5;

function uploadOf(input) {
  if (!input.__chosen) input.__chosen = { list: new DataTransfer(), unreadable: new Set() };
  return input.__chosen;
}

function renderUpload(input) {
  const box = document.querySelector(input.dataset.preview);
  if (!box) return;
  const state = uploadOf(input);
  input.files = state.list.files;
  box.replaceChildren();
  Array.from(state.list.files).forEach((file, index) => {
    const figure = document.createElement("figure");
    const img = document.createElement("img");
    img.alt = file.name;
    img.src = URL.createObjectURL(file);
    img.onload = () => URL.revokeObjectURL(img.src);
    img.onerror = () => {
      state.unreadable.add(file);
      figure.classList.add("unreadable");
      caption.textContent = `${file.name}: not an image this browser can read`;
      summarise(input, box);
    };
    const caption = document.createElement("figcaption");
    caption.textContent = file.name;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "remove-file";
    remove.textContent = "Remove";
    remove.setAttribute("aria-label", `Remove ${file.name}`);
    remove.addEventListener("click", () => {
      const kept = new DataTransfer();
      Array.from(state.list.files).forEach((f, i) => { if (i !== index) kept.items.add(f); });
      state.list = kept;
      state.unreadable.delete(file);
      renderUpload(input);
    });
    figure.append(img, caption, remove);
    box.append(figure);
  });
  summarise(input, box);
}

function summarise(input, box) {
  const state = uploadOf(input);
  const total = state.list.files.length;
  const readable = total - state.unreadable.size;
  let note = box.querySelector("p.upload-count");
  if (!note) {
    note = document.createElement("p");
    note.className = "upload-count";
    box.append(note);
  }
  const ok = readable >= MIN_IMAGES && readable <= MAX_IMAGES && state.unreadable.size === 0;
  note.classList.toggle("error-text", !ok && total > 0);
  note.classList.toggle("muted", ok || total === 0);
  let text = `${total} image${total === 1 ? "" : "s"} chosen`;
  if (state.unreadable.size) text += ` — remove the ${state.unreadable.size} that cannot be read`;
  else if (total && (total < MIN_IMAGES || total > MAX_IMAGES)) text += ` — choose ${MIN_IMAGES} to ${MAX_IMAGES}`;
  note.textContent = total ? text : "";
  const submit = input.form && input.form.querySelector("button[type=submit]");
  if (submit) submit.disabled = !ok;
  // an error from the last attempt is about files that are no longer the choice
  for (const stale of document.querySelectorAll(".errors")) stale.hidden = total > 0;
}

function addFiles(input, files) {
  const state = uploadOf(input);
  for (const file of files) {
    if (file.type.startsWith("image/") || file.type === "") state.list.items.add(file);
  }
  renderUpload(input);
}

document.addEventListener("change", (event) => {
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || !input.dataset.preview) return;
  const picked = Array.from(input.files || []);
  const state = uploadOf(input);
  // the picker replaced the input's files: put back what was chosen before, then add these
  const before = Array.from(state.list.files);
  state.list = new DataTransfer();
  for (const file of before) state.list.items.add(file);
  addFiles(input, picked);
});

for (const type of ["dragover", "drop"]) {
  // a file dropped anywhere on the page must not open in the tab and leave the app
  window.addEventListener(type, (event) => {
    if (event.dataTransfer && Array.from(event.dataTransfer.types || []).includes("Files")) {
      event.preventDefault();
    }
  });
}

document.addEventListener("dragover", (event) => {
  const zone = event.target instanceof Element && event.target.closest(".dropzone");
  if (zone) zone.classList.add("dragging");
});
document.addEventListener("dragleave", (event) => {
  const zone = event.target instanceof Element && event.target.closest(".dropzone");
  if (zone) zone.classList.remove("dragging");
});
document.addEventListener("drop", (event) => {
  const zone = event.target instanceof Element && event.target.closest(".dropzone");
  if (!zone || !event.dataTransfer) return;
  event.preventDefault();
  zone.classList.remove("dragging");
  const input = zone.querySelector("input[type=file][data-preview]");
  if (input) addFiles(input, Array.from(event.dataTransfer.files));
});

// The elapsed time of a working run ticks here: a poll that finds nothing new answers 204 and
// leaves the page as it is, so the server's figure would otherwise stand still.
setInterval(() => {
  for (const el of document.querySelectorAll("[data-elapsed-since]")) {
    const base = Number(el.dataset.elapsedBase || 0); // the work already done, gate waits excluded
    const seconds = Math.max(0, Math.floor(base + Date.now() / 1000 - Number(el.dataset.elapsedSince)));
    el.textContent = seconds >= 60
      ? `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`
      : `${seconds} s`;
  }
}, 1000);

// The viewer: a picture's link (class "enlarge") opens it large over the page; the arrow keys
// (or the buttons) move through the page's pictures in order, Escape or Close goes back to the
// link that opened it. Without JavaScript the link opens the image itself.
const VIEWER_WIDTH = 1024; // the largest width the server sizes (webapp/blobs.py SIZES)

function viewerLinks() {
  const seen = new Set();
  return Array.from(document.querySelectorAll("a.enlarge")).filter((a) => {
    const key = a.getAttribute("href");
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function viewerDialog() {
  let dialog = document.getElementById("viewer");
  if (dialog) return dialog;
  dialog = document.createElement("dialog");
  dialog.id = "viewer";
  dialog.className = "viewer";
  dialog.setAttribute("aria-labelledby", "viewer-caption");
  dialog.innerHTML =
    '<figure><img alt=""><figcaption id="viewer-caption"></figcaption></figure>' +
    '<div class="viewer-controls">' +
    '<button type="button" data-step="-1" aria-label="Previous picture">← Previous</button>' +
    '<a class="button viewer-full" target="_blank" rel="noopener">Full size</a>' +
    '<button type="button" data-step="1" aria-label="Next picture">Next →</button>' +
    '<button type="button" class="viewer-close">Close</button></div>';
  dialog.addEventListener("click", (event) => {
    const target = event.target;
    if (target === dialog) dialog.close(); // a click on the backdrop
    if (!(target instanceof Element)) return;
    const step = target.closest("[data-step]");
    if (step) showPicture(Number(dialog.dataset.index) + Number(step.dataset.step));
    if (target.closest(".viewer-close")) dialog.close();
  });
  dialog.addEventListener("keydown", (event) => {
    if (event.key === "ArrowRight") showPicture(Number(dialog.dataset.index) + 1);
    else if (event.key === "ArrowLeft") showPicture(Number(dialog.dataset.index) - 1);
    else return;
    event.preventDefault();
  });
  dialog.addEventListener("close", () => {
    const opener = viewerLinks()[Number(dialog.dataset.index)];
    if (opener) opener.focus();
  });
  document.body.append(dialog);
  return dialog;
}

function showPicture(index) {
  const links = viewerLinks();
  if (!links.length) return;
  const at = (index + links.length) % links.length;
  const link = links[at];
  const dialog = viewerDialog();
  dialog.dataset.index = String(at);
  const href = link.getAttribute("href");
  const img = dialog.querySelector("img");
  img.src = `${href}${href.includes("?") ? "&" : "?"}w=${VIEWER_WIDTH}`;
  const alt = (link.querySelector("img") || {}).alt || "picture";
  img.alt = alt;
  dialog.querySelector("figcaption").textContent = `${alt} (${at + 1} of ${links.length})`;
  dialog.querySelector(".viewer-full").href = href;
  for (const button of dialog.querySelectorAll("[data-step]")) button.disabled = links.length < 2;
  if (!dialog.open) dialog.showModal();
}

document.addEventListener("click", (event) => {
  const link = event.target instanceof Element && event.target.closest("a.enlarge");
  if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  showPicture(viewerLinks().indexOf(link));
});

// "Copy prompt": the text of the element the button names, to the clipboard; the button says
// whether it worked (without JavaScript the button is hidden and the text can be selected).
document.addEventListener("click", async (event) => {
  const button = event.target instanceof Element && event.target.closest("button[data-copy]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  if (!source) return;
  const label = button.textContent;
  try {
    await navigator.clipboard.writeText(source.textContent.trim());
    button.textContent = "Copied";
  } catch {
    button.textContent = "Select the text to copy it";
  }
  setTimeout(() => { button.textContent = label; }, 2000);
});
