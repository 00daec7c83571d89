// prevalidate in KubeSpawner's profile form: the message of each field next to it, after a
// rejected submit and while the user types into a free-text ("Other…") field. Plain DOM, no
// dependency; ids are KubeSpawner's (profile-item-SLUG, profile-option-SLUG--KEY[--unlisted-choice]).
(function () {
  "use strict";
  const dataNode = document.getElementById("prevalidate-form-data");
  if (!dataNode) return;
  const data = JSON.parse(dataNode.textContent);

  function anchorOf(slug, key) {
    if (key === "profile") {
      const radio = document.getElementById("profile-item-" + slug);
      const label = radio && radio.closest(".js-profile-label");
      return label && label.querySelector("h3");
    }
    const select = document.getElementById("profile-option-" + slug + "--" + key);
    return select && select.closest(".js-options-container");
  }

  function show(slug, key, text) {
    const id = "prevalidate-msg-" + slug + "--" + key;
    let node = document.getElementById(id);
    if (!text) {
      if (node) node.remove();
      return;
    }
    if (!node) {
      const anchor = anchorOf(slug, key);
      if (!anchor) return;
      node = document.createElement("div");
      node.id = id;
      node.className = "prevalidate-field-msg text-danger";
      node.setAttribute("role", "alert");
      anchor.insertAdjacentElement("afterend", node);
    }
    node.textContent = text;
  }

  function clear(slug) {
    document.querySelectorAll('[id^="prevalidate-msg-' + slug + '--"]').forEach((n) => n.remove());
  }

  for (const [slug, fields] of Object.entries(data.errors || {})) {
    for (const [key, lines] of Object.entries(fields)) show(slug, key, lines.join("\n"));
  }
  if (!data.endpoint) return;
  // JupyterHub's page.html puts the token its API handlers check in window.jhdata.
  const xsrf = (window.jhdata && window.jhdata.xsrf_token) || "";

  // The form as it would be posted, for one profile (what KubeSpawner's options_from_form reads).
  function formOf(slug) {
    const form = { profile: [slug] };
    const prefix = "profile-option-" + slug + "--";
    document.querySelectorAll('select[id^="' + prefix + '"]').forEach((select) => {
      const key = select.id.slice(prefix.length);
      if (select.value === "unlisted-choice") {
        const input = document.getElementById(select.id + "--unlisted-choice");
        form[select.id + "--unlisted-choice"] = [input ? input.value : ""];
      } else {
        form[prefix + key] = [select.value];
      }
    });
    return form;
  }

  let timer = null;
  let sequence = 0;
  async function check(slug) {
    const mine = ++sequence;
    let answer;
    try {
      const response = await fetch(data.endpoint, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-XSRFToken": xsrf },
        body: JSON.stringify({ server: data.server, form: formOf(slug) }),
      });
      if (!response.ok) return; // rate-limited or unavailable: keep what is shown
      answer = await response.json();
    } catch (e) {
      return;
    }
    if (mine !== sequence) return; // a later keystroke's answer wins
    clear(slug);
    for (const [key, text] of Object.entries(answer)) show(slug, key, text);
  }

  function slugOf(element) {
    const radio = element.closest(".js-profile-label");
    const input = radio && radio.querySelector('input[type="radio"]');
    return input ? input.value : null;
  }

  function later(element) {
    const slug = slugOf(element);
    if (!slug) return;
    clearTimeout(timer);
    timer = setTimeout(() => check(slug), 300);
  }

  document.querySelectorAll(".js-other-input").forEach((input) => {
    input.addEventListener("input", () => later(input));
  });
  document.querySelectorAll(".js-profile-option-select").forEach((select) => {
    select.addEventListener("change", () => {
      if (select.value === "unlisted-choice") {
        const input = document.getElementById(select.id + "--unlisted-choice");
        if (!input || !input.value) return; // nothing typed yet
      }
      later(select);
    });
  });
})();
