// Upload with a progress bar; without JavaScript the form posts normally.
(function () {
  "use strict";
  var form = document.querySelector("form[data-upload]");
  if (!form || !window.XMLHttpRequest) return;
  form.addEventListener("submit", function (event) {
    var input = form.querySelector("input[type=file]");
    if (!input || !input.files.length) return;
    event.preventDefault();
    var max = parseInt(form.dataset.maxBytes, 10);
    if (max && input.files[0].size > max) {
      var tooBig = document.createElement("div");
      tooBig.className = "error js";
      tooBig.setAttribute("role", "alert");
      tooBig.textContent = "This file is too large; the limit is " + form.dataset.maxLabel + ".";
      form.querySelectorAll(".error.js").forEach(function (e) { e.remove(); });
      form.insertBefore(tooBig, form.querySelector(".upload-progress"));
      return;
    }
    var box = form.querySelector(".upload-progress");
    var bar = document.getElementById("upload-bar");
    var status = document.getElementById("upload-status");
    var button = form.querySelector("button[type=submit]");
    box.hidden = false;
    button.disabled = true;
    form.querySelectorAll(".error.js").forEach(function (e) { e.remove(); });
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action || window.location.href);
    xhr.setRequestHeader("X-Upload", "xhr");
    xhr.setRequestHeader("X-CSRFToken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        var pct = Math.round((e.loaded / e.total) * 100);
        bar.value = pct;
        status.textContent = pct < 100 ? "Uploading… " + pct + "%" : "Checking the file…";
      }
    });
    xhr.addEventListener("load", function () {
      var data = null;
      try { data = JSON.parse(xhr.responseText); } catch (err) { data = null; }
      if (data && data.redirect) { window.location.assign(data.redirect); return; }
      button.disabled = false;
      box.hidden = true;
      var message = document.createElement("div");
      message.className = "error js";
      message.setAttribute("role", "alert");
      message.textContent = (data && data.errors && data.errors.join(" ")) ||
        "The upload failed (" + xhr.status + "). Please try again.";
      form.insertBefore(message, box);
    });
    xhr.addEventListener("error", function () {
      button.disabled = false;
      status.textContent = "The connection was lost. Please try again.";
    });
    xhr.send(new FormData(form));
  });
})();
