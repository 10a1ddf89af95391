// The intake form's details that matter only for some answers: the reception centre (for a person
// in reception, leaving it or who left it), the date left, the planned exit date. An element with
// data-shown-for="<select id>" and data-shown-when="<values, space-separated>" is hidden
// otherwise, and disabled so that a value typed before the answer changed is not sent. Without
// JavaScript they simply stay visible.
(function () {
  "use strict";

  function showWhatIsRelevant(select) {
    document.querySelectorAll('[data-shown-for="' + select.id + '"]').forEach(function (details) {
      var relevant = details.dataset.shownWhen.split(" ").indexOf(select.value) !== -1;
      details.hidden = !relevant;
      details.disabled = !relevant;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-shows-details]").forEach(function (select) {
      showWhatIsRelevant(select);
      select.addEventListener("change", function () {
        showWhatIsRelevant(select);
      });
    });
  });
})();
