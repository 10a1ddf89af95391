// The intake form's reception details (date left, kind of centre) matter only for a person who
// has left the reception system. They are hidden otherwise, and disabled so that a value typed
// before the answer changed is not sent. Without JavaScript they simply stay visible.
(function () {
  "use strict";

  function showDetailsIfRelevant(select) {
    var details = document.getElementById(select.dataset.details);
    if (!details) {
      return;
    }
    var relevant = select.value === select.dataset.detailsWhen;
    details.hidden = !relevant;
    details.disabled = !relevant;
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-details]").forEach(function (select) {
      showDetailsIfRelevant(select);
      select.addEventListener("change", function () {
        showDetailsIfRelevant(select);
      });
    });
  });
})();
