// Progressive enhancement of the upload form: the file goes as the raw request body (the
// node streams it to disk as it arrives) with a progress bar. Without this script the
// form posts multipart/form-data, which the node streams too.
const form = document.getElementById("upload-form");
const input = document.getElementById("upload-file");
const progress = document.getElementById("upload-progress");
const bar = document.getElementById("upload-bar");
const status = document.getElementById("upload-status");

/** Shows the bar with a progress line, or (`error`) only the line, as an error. */
function show(text, error = false) {
  progress.hidden = false;
  bar.hidden = error;
  for (const label of progress.querySelectorAll("label")) label.hidden = error;
  status.classList.toggle("notice", error);
  status.classList.toggle("notice-error", error);
  status.textContent = text;
}

if (form && input && progress && bar && status && "upload" in new XMLHttpRequest()) {
  form.addEventListener("submit", (event) => {
    const file = input.files?.[0];
    if (!file) return;
    event.preventDefault();
    // The node refuses it anyway (413); saying so now spares sending gigabytes for nothing.
    if (file.size > Number(form.dataset.maxBytes)) {
      show(form.dataset.tooLarge ?? "", true);
      return;
    }
    const button = form.querySelector("button[type=submit]");
    const token = form.querySelector("input[name=_csrf]")?.value ?? "";
    const request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.setRequestHeader("content-type", "application/octet-stream");
    request.setRequestHeader("x-csrf-token", token);
    request.upload.addEventListener("progress", (progressEvent) => {
      if (!progressEvent.lengthComputable) return;
      const percent = Math.floor((progressEvent.loaded / progressEvent.total) * 100);
      bar.value = percent;
      bar.textContent = `${percent}%`;
      show(`${percent}%`);
    });
    request.upload.addEventListener("load", () => {
      bar.value = 100;
      show(`100% — ${form.dataset.scanning ?? ""}`);
    });
    request.addEventListener("load", () => {
      // A published scan is a page of its own; a refusal (too large, not a backup) is
      // shown in place of this one, as the form without script would show it.
      if (request.status < 400 && request.responseURL) {
        window.location.assign(request.responseURL);
        return;
      }
      const answer = new DOMParser().parseFromString(request.responseText, "text/html");
      const main = answer.querySelector("main");
      const current = document.querySelector("main");
      if (main && current) {
        current.replaceChildren(...main.childNodes);
        document.title = answer.title;
        current.focus();
      }
    });
    request.addEventListener("error", () => {
      show(form.dataset.failed ?? "", true);
      if (button) button.disabled = false;
    });
    if (button) button.disabled = true;
    bar.value = 0;
    show("0%");
    request.send(file);
  });
}
