/* Behaviour that pages ask for with data- attributes: no inline script anywhere, so the
   Content-Security-Policy can forbid it. Every form still works without this file. */
(function () {
  "use strict";

  function submitOnChange(event) {
    var form = event.target.form;
    if (!form) return;
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }

  function bind() {
    // The language switch: choosing a language submits its form (a button stays in <noscript>).
    document.querySelectorAll("[data-submit-on-change]").forEach(function (field) {
      field.addEventListener("change", submitOnChange);
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
