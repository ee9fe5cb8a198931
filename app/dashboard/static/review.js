// The review queue: after a decision the page opens at the next card (#update-<id>);
// give that card the focus, so keyboard and screen-reader users go on from there.
(function () {
  "use strict";
  var id = window.location.hash.slice(1);
  if (id.indexOf("update-") !== 0) {
    return;
  }
  var card = document.getElementById(id);
  if (card) {
    card.focus();
  }
})();
