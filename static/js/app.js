// With JavaScript the intent is read as it is typed (htmx); the button that does it without goes.
document.documentElement.classList.add("js");

// Upload previews: show the chosen files before they are sent (no upload happens here).
document.addEventListener("change", (event) => {
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || !input.dataset.preview) return;
  const box = document.querySelector(input.dataset.preview);
  if (!box) return;
  box.replaceChildren();
  const files = Array.from(input.files || []);
  for (const file of files) {
    const figure = document.createElement("figure");
    const img = document.createElement("img");
    img.alt = file.name;
    img.src = URL.createObjectURL(file);
    img.onload = () => URL.revokeObjectURL(img.src);
    const caption = document.createElement("figcaption");
    caption.textContent = file.name;
    figure.append(img, caption);
    box.append(figure);
  }
  const note = document.createElement("p");
  note.className = files.length >= 3 && files.length <= 5 ? "muted" : "error-text";
  note.textContent = `${files.length} image${files.length === 1 ? "" : "s"} chosen` +
    (files.length < 3 || files.length > 5 ? " — choose 3 to 5" : "");
  box.append(note);
});

// The elapsed time of a working run ticks here: a poll that finds nothing new answers 204 and
// leaves the page as it is, so the server's figure would otherwise stand still.
setInterval(() => {
  for (const el of document.querySelectorAll("[data-elapsed-since]")) {
    const seconds = Math.max(0, Math.floor(Date.now() / 1000 - Number(el.dataset.elapsedSince)));
    el.textContent = seconds >= 60
      ? `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`
      : `${seconds} s`;
  }
}, 1000);
