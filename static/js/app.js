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

  // Forms that change something irreversible ask first. Delegated (one listener on the
  // document, bubbling: after a form's own validation), so forms swapped in by shortcuts.js
  // keep the behaviour.
  function confirmations() {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!form.matches || !form.matches("form[data-confirm]")) return;
      if (!window.confirm(form.getAttribute("data-confirm"))) {
        event.preventDefault();
      }
    });
  }

  // A second click on a submit button must not send the form twice.
  function singleSubmit() {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!form.matches || !form.matches("form[method=post]")) return;
      if (event.defaultPrevented) return;
      if (form.dataset.submitted === "1") {
        event.preventDefault();
        return;
      }
      form.dataset.submitted = "1";
      window.setTimeout(function () { form.dataset.submitted = ""; }, 4000);
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
      var indefinite = option && option.getAttribute("data-indefinite") === "1";
      var box = form.querySelector('input[name="valid_indefinitely"]');
      toggle(fieldWrapper(form, "valid_indefinitely"), indefinite);
      if (box && !indefinite) box.checked = false;
      var noExpiry = !!(box && box.checked);
      var expiry = form.querySelector('input[name="expiry_date"]');
      if (expiry) {
        expiry.disabled = noExpiry;
        if (noExpiry) expiry.value = "";
      }
      markNeeded(fieldWrapper(form, "expiry_date"), !noExpiry && option && option.getAttribute("data-has-expiry") === "1");
    }
    var indefiniteBox = form.querySelector('input[name="valid_indefinitely"]');
    if (indefiniteBox) indefiniteBox.addEventListener("change", update);
    select.addEventListener("change", update);
    update();
  }

  // A document still being checked (a worker runs the checks a moment after the upload):
  // ask the API every few seconds, and reload the page once the result is known.
  function checkingPoll() {
    var pending = document.querySelectorAll("[data-checking]");
    if (!pending.length || !window.fetch) return;
    var tries = 0;
    function poll() {
      tries += 1;
      var checks = Array.prototype.map.call(pending, function (el) {
        return fetch(el.getAttribute("data-checking"), {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (body) { return !!(body && body.checks_status && body.checks_status !== "checking"); })
          .catch(function () { return false; });
      });
      Promise.all(checks).then(function (done) {
        if (done.some(Boolean)) {
          window.location.reload();
        } else if (tries < 40) {
          window.setTimeout(poll, 3000);
        }
      });
    }
    window.setTimeout(poll, 2000);
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

  // Keyboard-fast decisions: / searches; on other pages a key presses its data-shortcut
  // control. The case page has its own set in shortcuts.js.
  function shortcuts() {
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      var target = event.target;
      if (target.closest("input, textarea, select, [contenteditable]")) return;
      if (document.body.classList.contains("page-case") && event.key !== "/") return;
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

  // Decision forms check what the service will insist on before they are sent (the service
  // checks again): a rejection needs reason codes and a rationale, an RFI a message.
  var MESSAGES = {
    en: {
      decision: "Choose a decision.",
      reasons: "Choose at least one reason.",
      rationale: "Explain the decision.",
      reason: "Choose the reason for the rejection.",
      message: "Write the message the seller will see.",
    },
    zh: {
      decision: "请选择决定。",
      reasons: "请至少选择一个原因。",
      rationale: "请说明决定的理由。",
      reason: "请选择驳回原因。",
      message: "请填写卖家可见的说明。",
    },
  };

  function text(key) {
    var lang = (document.documentElement.lang || "en").indexOf("zh") === 0 ? "zh" : "en";
    return MESSAGES[lang][key];
  }

  function checkedValue(form, name) {
    var input = form.querySelector('input[name="' + name + '"]:checked');
    return input ? input.value : "";
  }

  function filled(form, name) {
    var field = form.querySelector('[name="' + name + '"]');
    return !!(field && field.value.trim());
  }

  function problems(form) {
    var kind = form.getAttribute("data-validate");
    var out = [];
    if (kind === "reject" || kind === "capability-decision") {
      var rejecting = kind === "reject" || checkedValue(form, "decision") === "reject";
      if (kind === "capability-decision" && !checkedValue(form, "decision")) {
        out.push(["decision", text("decision")]);
      }
      var codes = form.querySelector('input[name$="reason_codes"]:checked');
      if (rejecting && !codes) out.push(["reason_codes", text("reasons")]);
      var rationale = form.querySelector('textarea[name$="rationale"]');
      if (rejecting && !(rationale && rationale.value.trim())) {
        out.push(["rationale", text("rationale")]);
      }
    } else if (kind === "document-decision") {
      var decision = checkedValue(form, "decision");
      if (!decision) out.push(["decision", text("decision")]);
      if (decision === "reject" && !filled(form, "reason_code")) {
        out.push(["reason_code", text("reason")]);
      }
    } else if (kind === "rfi") {
      var message = form.querySelector('textarea[name$="message"]');
      if (!(message && message.value.trim())) out.push(["message", text("message")]);
    }
    return out;
  }

  function validation() {
    document.querySelectorAll("form[data-validate]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        var found = problems(form);
        var box = form.querySelector(".client-errors");
        if (!found.length) {
          if (box) box.remove();
          return;
        }
        event.preventDefault();
        event.stopImmediatePropagation();
        if (!box) {
          box = document.createElement("ul");
          box.className = "errorlist client-errors";
          box.setAttribute("role", "alert");
          form.insertBefore(box, form.firstChild);
        }
        box.textContent = "";
        found.forEach(function (problem) {
          var item = document.createElement("li");
          item.textContent = problem[1];
          item.setAttribute("data-for", problem[0]);
          box.appendChild(item);
        });
        var details = form.closest("details");
        if (details) details.open = true;
      });
    });
  }

  onReady(function () {
    validation();
    confirmations();
    singleSubmit();
    uploadForm();
    checkingPoll();
    capabilityForm();
    rowLinks();
    shortcuts();
  });
})();
