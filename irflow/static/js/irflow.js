/* Behaviour that pages ask for with data- attributes: no inline script anywhere, so the
   Content-Security-Policy can forbid it. Every form still works without this file. */
(function () {
  "use strict";

  function submitOnChange(event) {
    var form = event.target.form;
    if (!form) return;
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }

  function changedSelect(select) {
    return Array.prototype.some.call(select.options, function (option) {
      return option.selected !== option.defaultSelected;
    });
  }

  // A form of many table rows ([data-changed-rows-only]) posts only the rows changed on the
  // page or marked [data-override]; the server takes a row not posted as shown.
  function changedRowsOnly(event) {
    var rows = new Map();
    Array.prototype.forEach.call(event.target.elements, function (field) {
      var row = field.tagName === "SELECT" && field.name ? field.closest("tr") : null;
      if (!row) return;
      var entry = rows.get(row) || {fields: [], changed: row.hasAttribute("data-override")};
      entry.fields.push(field);
      entry.changed = entry.changed || changedSelect(field);
      rows.set(row, entry);
    });
    rows.forEach(function (entry) {
      if (entry.changed) return;
      entry.fields.forEach(function (field) { event.formData.delete(field.name); });
    });
  }

  function bind() {
    // The language switch: choosing a language submits its form (a button stays in <noscript>).
    document.querySelectorAll("[data-submit-on-change]").forEach(function (field) {
      field.addEventListener("change", submitOnChange);
    });
    document.querySelectorAll("form[data-changed-rows-only]").forEach(function (form) {
      form.addEventListener("formdata", changedRowsOnly);
    });
    // The protocol's "Print" button.
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", bind);
  } else {
    bind();
  }
})();
