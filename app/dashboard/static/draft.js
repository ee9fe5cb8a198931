// The update form keeps a draft in this browser while it is typed, so a lost connection
// loses nothing; the draft is restored on the next visit and cleared once the update is
// sent. The form works without this script.
(function () {
  "use strict";
  var store;
  try {
    store = window.localStorage;
  } catch (e) {
    return;
  }
  var sent = document.querySelector("[data-draft-clear]");
  if (sent) {
    store.removeItem(sent.getAttribute("data-draft-clear"));
  }
  var form = document.querySelector("form[data-draft]");
  if (!form) {
    return;
  }
  var key = form.getAttribute("data-draft");
  var note = document.getElementById("draft-note");
  var discard = document.getElementById("draft-discard");

  function fields() {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.type !== "hidden" && el.type !== "submit";
    });
  }

  function save() {
    var values = fields().map(function (el) {
      return [el.name, el.value];
    });
    store.setItem(key, JSON.stringify(values));
  }

  function restore(values) {
    var list = fields();
    values.forEach(function (pair, index) {
      var el = list[index];
      if (el && el.name === pair[0]) {
        el.value = pair[1];
      }
    });
  }

  var kept = store.getItem(key);
  if (kept && form.getAttribute("data-draft-typed") !== "true") {
    try {
      restore(JSON.parse(kept));
      note.hidden = false;
    } catch (e) {
      store.removeItem(key);
    }
  }
  form.addEventListener("input", save);
  form.addEventListener("change", save);
  discard.addEventListener("click", function () {
    store.removeItem(key);
    form.reset();
    fields().forEach(function (el) {
      el.value = el.tagName === "SELECT" ? el.options[0].value : "";
    });
    note.hidden = true;
  });
})();
