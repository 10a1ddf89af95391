// Every form carries an idempotency key (web/kit/idempotency.py): sent twice (a double click, a
// retry after a lost answer), it is carried out once. htmx sends it in the Idempotency-Key
// header (the server reads no body before the route lets the request in); a form htmx sends and
// leaves on the page gets a new key once its answer has come, so that the next submission is a
// new command.
(function () {
  "use strict";

  function newKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);  // unlike randomUUID, also over plain http
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function formOf(event) {
    var sent = event.detail.elt;
    return sent && sent.closest ? sent.closest("form") : null;
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var form = formOf(event);
    var key = form ? form.querySelector('input[name="idempotency_key"]') : null;
    if (key) {
      event.detail.headers["Idempotency-Key"] = key.value;
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = formOf(event);
    if (!form || !event.detail.successful) {
      return;  // unanswered or failed: a retry is the same command, with the same key
    }
    form.querySelectorAll('input[name="idempotency_key"]').forEach(function (input) {
      input.value = newKey();
    });
  });
})();
