/* Small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  function onReady(fn) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", fn);
    } else {
      fn();
    }
  }

  // Forms that change something irreversible ask first.
  function confirmations() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) {
          event.preventDefault();
        }
      });
    });
  }

  // A second click on a submit button must not send the form twice.
  function singleSubmit() {
    document.querySelectorAll("form[method=post]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (event.defaultPrevented) return;
        if (form.dataset.submitted === "1") {
          event.preventDefault();
          return;
        }
        form.dataset.submitted = "1";
        window.setTimeout(function () { form.dataset.submitted = ""; }, 4000);
      });
    });
  }

  function fieldWrapper(form, name) {
    return form.querySelector('.field[data-field="' + name + '"]');
  }

  function toggle(wrapper, visible) {
    if (!wrapper) return;
    var hasValue = wrapper.querySelector("select") && wrapper.querySelector("select").value;
    var hasError = wrapper.classList.contains("has-error");
    wrapper.classList.toggle("is-hidden", !visible && !hasValue && !hasError);
  }

  // The document type decides whether a number and an expiry date must be given.
  function markNeeded(wrapper, needed) {
    if (wrapper) wrapper.classList.toggle("is-needed", !!needed);
  }

  // Upload: show the person / category / brand choice only for document types that use it.
  function uploadForm() {
    var form = document.querySelector("form[data-upload-form]");
    if (!form) return;
    var select = form.querySelector('select[name="document_type"]');
    if (!select) return;
    function update() {
      var option = select.options[select.selectedIndex];
      var family = option ? option.getAttribute("data-family") : "";
      var isPerson = option && option.getAttribute("data-person") === "1";
      toggle(fieldWrapper(form, "person"), !family || isPerson);
      toggle(fieldWrapper(form, "category"), !family || family === "category");
      toggle(fieldWrapper(form, "brand"), !family || family === "brand");
      markNeeded(fieldWrapper(form, "number"), option && option.getAttribute("data-requires-number") === "1");
      markNeeded(fieldWrapper(form, "expiry_date"), option && option.getAttribute("data-has-expiry") === "1");
    }
    select.addEventListener("change", update);
    update();
  }

  // Capability application: show the category or the brand list, whichever is chosen.
  function capabilityForm() {
    var form = document.querySelector("form[data-capability-form]");
    if (!form) return;
    function update() {
      var checked = form.querySelector('input[name="kind"]:checked');
      var kind = checked ? checked.value : "category";
      toggle(fieldWrapper(form, "category"), kind === "category");
      toggle(fieldWrapper(form, "brand"), kind === "brand");
    }
    form.querySelectorAll('input[name="kind"]').forEach(function (input) {
      input.addEventListener("change", update);
    });
    update();
  }

  // Queue rows open the case when clicked anywhere.
  function rowLinks() {
    document.querySelectorAll("table[data-row-links] tbody tr").forEach(function (row) {
      var link = row.querySelector("a[href]");
      if (!link) return;
      row.classList.add("is-link");
      row.addEventListener("click", function (event) {
        if (event.target.closest("a, button, input, select, textarea")) return;
        window.location.href = link.getAttribute("href");
      });
    });
  }

  // Keyboard-fast decisions: c claims, a/i open approve / request information, / searches.
  function shortcuts() {
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      var target = event.target;
      if (target.closest("input, textarea, select, [contenteditable]")) return;
      if (event.key === "/") {
        var search = document.querySelector('input[type="search"]');
        if (search) {
          event.preventDefault();
          search.focus();
        }
        return;
      }
      var button = document.querySelector('[data-shortcut="' + event.key + '"]');
      if (!button) return;
      event.preventDefault();
      var details = button.closest("details");
      if (event.key === "c") {
        button.click();
        return;
      }
      if (details) {
        details.open = true;
        var first = details.querySelector("textarea, input:not([type=hidden]), select");
        (first || button).focus();
        details.scrollIntoView({ block: "nearest" });
      } else {
        button.focus();
      }
    });
  }

  onReady(function () {
    confirmations();
    singleSubmit();
    uploadForm();
    capabilityForm();
    rowLinks();
    shortcuts();
  });
})();
