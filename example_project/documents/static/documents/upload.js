// The upload form with a progress bar: the form is sent by XMLHttpRequest (whose upload
// events give the progress), with the X-Upload-Progress header. The view answers JSON with
// the page to go to, or the form with its errors (status 400), which replaces this one.
// Without JavaScript the form posts as usual.
"use strict";

(function () {
  function bind(form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var status = document.getElementById("upload-status");
      var bar = document.getElementById("upload-progress");
      var percent = document.getElementById("upload-percent");
      var button = form.querySelector("button[type=submit]");
      var request = new XMLHttpRequest();
      request.open("POST", form.action || window.location.href);
      request.setRequestHeader("X-Upload-Progress", "1");
      request.upload.addEventListener("progress", function (progress) {
        if (progress.lengthComputable) {
          var done = Math.round((progress.loaded / progress.total) * 100);
          bar.value = done;
          percent.textContent = done + " %";
        }
      });
      request.addEventListener("load", function () {
        if (request.status === 200) {
          window.location.assign(JSON.parse(request.responseText).location);
          return;
        }
        if (request.status === 400) {
          var page = new DOMParser().parseFromString(request.responseText, "text/html");
          var fresh = page.getElementById("upload-form");
          form.replaceWith(fresh);
          bind(fresh);
          return;
        }
        fail("the server answered " + request.status);
      });
      request.addEventListener("error", function () {
        fail("the connection failed");
      });
      function fail(why) {
        percent.textContent = "Upload failed: " + why + ".";
        button.disabled = false;
      }
      status.hidden = false;
      button.disabled = true;
      request.send(new FormData(form));
    });
  }
  var form = document.getElementById("upload-form");
  if (form) {
    bind(form);
  }
})();
