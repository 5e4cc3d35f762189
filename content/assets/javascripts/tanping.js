/* tanping: the derivation card of every figure in the text.
 *
 * A figure is rendered as <a class="fig" data-card="{json}" href="derivations.html#d-N">.
 * On hover or keyboard focus this script shows one shared card (role="tooltip") with the
 * figure's formula, the values substituted, the factors with their sources and the data
 * location, and links it to the figure with aria-describedby. Escape or moving away hides it;
 * the pointer can move into the card (WCAG 1.4.13). Activating the figure still follows the
 * link to the 计算过程 page. Text is inserted with textContent only: data is never markup.
 * No dependencies, no network. */
(function () {
  "use strict";
  var CARD_ID = "tp-card";
  var card = null;
  var owner = null;
  var hideTimer = 0;

  function node(tag, className, text) {
    var el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined && text !== null) el.textContent = String(text);
    return el;
  }

  function row(list, term, text) {
    if (!text) return;
    list.appendChild(node("dt", null, term));
    list.appendChild(node("dd", null, text));
  }

  function ensureCard() {
    if (card) return card;
    card = node("div", "tp-card");
    card.id = CARD_ID;
    card.setAttribute("role", "tooltip");
    card.hidden = true;
    card.addEventListener("mouseenter", function () { clearTimeout(hideTimer); });
    card.addEventListener("mouseleave", scheduleHide);
    document.body.appendChild(card);
    return card;
  }

  function fill(link) {
    var data;
    try {
      data = JSON.parse(link.getAttribute("data-card") || "{}");
    } catch (err) {
      return false;
    }
    var box = ensureCard();
    box.textContent = "";
    box.appendChild(node("p", "tp-card__title", data.label));
    var list = node("dl", "tp-card__rows");
    row(list, "公式", data.formula);
    row(list, "代入", data.subst);
    row(list, "说明", data.note);
    box.appendChild(list);
    if (data.factors && data.factors.length) {
      box.appendChild(node("p", "tp-card__head", "因子与来源"));
      var factors = node("ul", "tp-card__factors");
      data.factors.forEach(function (f) {
        var item = node("li");
        item.appendChild(node("span", "tp-card__param", f.p + " " + f.v));
        if (f["default"]) item.appendChild(node("span", "tp-card__default", "缺省值"));
        item.appendChild(node("span", "tp-card__src", f.src + (f.grade ? "（" + f.grade + " 级）" : "")));
        factors.appendChild(item);
      });
      box.appendChild(factors);
    }
    if (data.inputs && data.inputs.length) {
      var inputs = node("dl", "tp-card__rows");
      row(inputs, "数据", data.inputs.join("；"));
      box.appendChild(inputs);
    }
    if (data.sources && data.sources.length) {
      box.appendChild(node("p", "tp-card__head", "排放源"));
      var sources = node("ul", "tp-card__factors");
      data.sources.forEach(function (line) { sources.appendChild(node("li", null, line)); });
      box.appendChild(sources);
    }
    box.appendChild(node("p", "tp-card__value", "= " + data.value + "（未修约）"));
    box.appendChild(node("p", "tp-card__more", "计算过程第 " + data.n + " 项 · 点击数字查看"));
    return true;
  }

  function place(link) {
    var rect = link.getBoundingClientRect();
    var margin = 8;
    card.style.left = "0px";
    card.style.top = "0px";
    var width = card.offsetWidth;
    var height = card.offsetHeight;
    var left = Math.min(Math.max(rect.left, margin), window.innerWidth - width - margin);
    var top = rect.bottom + 6;
    if (top + height > window.innerHeight - margin && rect.top - height - 6 > margin) {
      top = rect.top - height - 6;
    }
    card.style.left = Math.max(left, margin) + window.scrollX + "px";
    card.style.top = top + window.scrollY + "px";
  }

  function show(link) {
    clearTimeout(hideTimer);
    if (owner === link && !card.hidden) return;
    if (owner && owner !== link) owner.removeAttribute("aria-describedby");
    if (!fill(link)) return;
    owner = link;
    card.hidden = false;
    place(link);
    link.setAttribute("aria-describedby", CARD_ID);
  }

  function hide() {
    clearTimeout(hideTimer);
    if (card) card.hidden = true;
    if (owner) owner.removeAttribute("aria-describedby");
    owner = null;
  }

  function scheduleHide() {
    clearTimeout(hideTimer);
    hideTimer = setTimeout(hide, 200);
  }

  function figureOf(target) {
    return target && target.closest ? target.closest("a.fig[data-card]") : null;
  }

  document.addEventListener("mouseover", function (ev) {
    var link = figureOf(ev.target);
    if (link) show(link);
  });
  document.addEventListener("mouseout", function (ev) {
    var link = figureOf(ev.target);
    if (link && !(card && card.contains(ev.relatedTarget)) && figureOf(ev.relatedTarget) !== link) {
      scheduleHide();
    }
  });
  document.addEventListener("focusin", function (ev) {
    var link = figureOf(ev.target);
    if (link) show(link);
    else if (owner) hide();
  });
  document.addEventListener("focusout", function (ev) {
    if (figureOf(ev.target) === owner && !figureOf(ev.relatedTarget)) hide();
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape" && owner) hide();
  });
  window.addEventListener("resize", function () { if (owner) place(owner); });
})();
