// Progressive enhancement of the upload form: the file goes as the raw request body (the
// node streams it to disk as it arrives) with a progress bar. Without this script the
// form posts multipart/form-data, which the node streams too.
const form = document.getElementById("upload-form");
const input = document.getElementById("upload-file");
const progress = document.getElementById("upload-progress");
const bar = document.getElementById("upload-bar");
const status = document.getElementById("upload-status");

if (form && input && progress && bar && status && "upload" in new XMLHttpRequest()) {
  form.addEventListener("submit", (event) => {
    const file = input.files?.[0];
    if (!file) return;
    event.preventDefault();
    // The node refuses it anyway (413); saying so now spares sending gigabytes for nothing.
    if (file.size > Number(form.dataset.maxBytes)) {
      progress.hidden = false;
      bar.hidden = true;
      status.textContent = form.dataset.tooLarge ?? "";
      return;
    }
    bar.hidden = false;
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
      status.textContent = `${percent}%`;
    });
    request.upload.addEventListener("load", () => {
      bar.value = 100;
      status.textContent = `100% — ${form.dataset.scanning ?? ""}`;
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
      status.textContent = form.dataset.failed ?? "";
      if (button) button.disabled = false;
    });
    progress.hidden = false;
    if (button) button.disabled = true;
    bar.value = 0;
    status.textContent = "0%";
    request.send(file);
  });
}
