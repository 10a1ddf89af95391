// Every form carries an idempotency key (web/kit/idempotency.py): sent twice (a double click, a
// retry after a lost answer), it is carried out once. A form htmx sends and leaves on the page
// gets a new key once its answer has come, so that the next submission is a new command.
(function () {
  "use strict";

  function newKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);  // unlike randomUUID, also over plain http
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  document.addEventListener("htmx:afterRequest", function (event) {
    var sent = event.detail.elt;
    var form = sent && sent.closest ? sent.closest("form") : null;
    if (!form || !event.detail.successful) {
      return;  // unanswered or failed: a retry is the same command, with the same key
    }
    form.querySelectorAll('input[name="idempotency_key"]').forEach(function (input) {
      input.value = newKey();
    });
  });
})();
