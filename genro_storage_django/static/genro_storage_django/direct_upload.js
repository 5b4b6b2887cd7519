// {% storage_upload_form %}: send each chosen file straight to the bucket.
// 1. ask the form's endpoint (a DirectUploadView) to sign an upload for the file;
// 2. send the file where it says: a form POST (S3) or a PUT with its headers (GCS, Azure);
// 3. ask the endpoint to verify it. The form then fires "storage-upload" with the answer
//    (event.detail: {name, size, ...}) or "storage-upload-error" ({error}).
(function () {
  "use strict";

  function ask(form, body) {
    return fetch(form.dataset.endpoint, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": form.dataset.csrf },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) throw new Error(data.error || response.statusText);
        return data;
      });
    });
  }

  function send(upload, file, progress) {
    return new Promise(function (resolve, reject) {
      var request = new XMLHttpRequest();
      request.open(upload.method, upload.url);
      request.upload.onprogress = function (event) {
        if (event.lengthComputable) progress.value = (100 * event.loaded) / event.total;
      };
      request.onload = function () {
        if (request.status >= 200 && request.status < 300) resolve();
        else reject(new Error("the store refused the file (" + request.status + ")"));
      };
      request.onerror = function () { reject(new Error("the store could not be reached")); };
      if (upload.method === "POST") {
        var data = new FormData();
        Object.keys(upload.fields).forEach(function (name) { data.append(name, upload.fields[name]); });
        data.append("file", file);  // S3 reads the file last
        request.send(data);
      } else {
        Object.keys(upload.headers).forEach(function (name) {
          request.setRequestHeader(name, upload.headers[name]);
        });
        request.send(file);
      }
    });
  }

  function start(form, file) {
    var progress = form.querySelector("progress");
    var output = form.querySelector("output");
    progress.hidden = false;
    progress.value = 0;
    output.textContent = "";
    var announced = { filename: file.name, size: file.size, content_type: file.type || "application/octet-stream" };
    ask(form, announced)
      .then(function (upload) {
        return send(upload, file, progress).then(function () { return ask(form, { token: upload.token }); });
      })
      .then(function (result) {
        output.textContent = result.name;
        form.dispatchEvent(new CustomEvent("storage-upload", { detail: result, bubbles: true }));
      })
      .catch(function (error) {
        progress.hidden = true;
        output.textContent = error.message;
        form.dispatchEvent(new CustomEvent("storage-upload-error", { detail: { error: error.message }, bubbles: true }));
      });
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    var form = input.closest && input.closest("form.gsd-direct-upload");
    if (!form || !input.files) return;
    Array.prototype.forEach.call(input.files, function (file) { start(form, file); });
  });
  document.addEventListener("submit", function (event) {
    if (event.target.matches && event.target.matches("form.gsd-direct-upload")) event.preventDefault();
  });
})();
