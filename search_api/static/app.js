/* Mötessök: progressive enhancement only. Without this file every control works through the
   form's buttons; with it, ticking a filter or changing the sort re-submits the form at once,
   and focus returns to the control that was changed after the new page has loaded. */
(function () {
  "use strict";
  var KEY = "motesok-focus";
  var form = document.getElementById("sokform");

  function restoreFocus() {
    var id = null;
    try { id = sessionStorage.getItem(KEY); sessionStorage.removeItem(KEY); } catch (e) { /* storage off */ }
    if (!id) { return; }
    var el = document.getElementById(id);
    if (el) {
      var details = el.closest("details");
      if (details) { details.open = true; }
      el.focus({ preventScroll: false });
    }
  }

  if (!form) { return; }
  document.documentElement.classList.add("js");
  restoreFocus();

  function submitFrom(el) {
    try { sessionStorage.setItem(KEY, el.id); } catch (e) { /* storage off */ }
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  }

  form.addEventListener("change", function (event) {
    var el = event.target;
    if (!el || !el.id) { return; }
    var autosubmit = (el.type === "checkbox" && el.closest(".facet")) ||
                     el.hasAttribute("data-autosubmit") ||
                     (el.type === "radio" && el.name === "mode" && document.body.classList.contains("page-results"));
    if (autosubmit) { submitFrom(el); }
  });

  /* Empty date fields would otherwise be sent as date_from=&date_to= and clutter the address. */
  form.addEventListener("formdata", function (event) {
    ["date_from", "date_to"].forEach(function (name) {
      if (event.formData.get(name) === "") { event.formData.delete(name); }
    });
  });
})();
