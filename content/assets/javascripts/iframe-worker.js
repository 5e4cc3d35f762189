/* tanping: a local stand-in for the `iframe-worker` shim that Material's offline plugin would
 * otherwise load from a CDN. It is only active when the site is opened from the file system
 * (file://), where browsers refuse to start a Web Worker: the search worker then runs inside a
 * hidden iframe of the same document, with postMessage/importScripts bridged to the page.
 * Over http(s) it does nothing. No network, no dependencies. */
(function () {
  "use strict";
  if (typeof window === "undefined" || location.protocol !== "file:") return;

  function loadScript(doc, url) {
    return new Promise(function (resolve, reject) {
      var script = doc.createElement("script");
      script.src = url;
      script.onload = function () { resolve(); };
      script.onerror = function () { reject(new Error("cannot load " + url)); };
      doc.head.appendChild(script);
    });
  }

  function IFrameWorker(url) {
    var target = document.createDocumentFragment(); // an EventTarget of this realm
    var worker = this;
    var queue = [];
    var ready = false;
    var frame = document.createElement("iframe");
    frame.setAttribute("aria-hidden", "true");
    frame.setAttribute("tabindex", "-1");
    frame.style.display = "none";
    (document.body || document.documentElement).appendChild(frame);
    var scope = frame.contentWindow;
    var doc = scope.document;
    var base = new URL(url, location.href);

    this.onmessage = null;
    this.onerror = null;
    this.addEventListener = target.addEventListener.bind(target);
    this.removeEventListener = target.removeEventListener.bind(target);
    this.dispatchEvent = target.dispatchEvent.bind(target);

    // The worker's globals, as seen by the script running in the iframe.
    scope.postMessage = function (data) {
      setTimeout(function () {
        var event = new MessageEvent("message", { data: data });
        if (typeof worker.onmessage === "function") worker.onmessage(event);
        target.dispatchEvent(event);
      }, 0);
    };
    scope.importScripts = function () {
      var urls = Array.prototype.slice.call(arguments);
      return urls.reduce(function (chain, next) {
        return chain.then(function () {
          return loadScript(doc, new URL(next, base).href);
        });
      }, Promise.resolve());
    };

    function deliver(data) {
      scope.dispatchEvent(new scope.MessageEvent("message", { data: data }));
    }
    this.postMessage = function (data) {
      if (ready) deliver(data);
      else queue.push(data);
    };
    this.terminate = function () {
      frame.remove();
    };

    loadScript(doc, base.href).then(
      function () {
        ready = true;
        queue.splice(0).forEach(deliver);
      },
      function (err) {
        var event = new ErrorEvent("error", { message: String(err) });
        if (typeof worker.onerror === "function") worker.onerror(event);
        target.dispatchEvent(event);
      }
    );
  }

  window.IFrameWorker = IFrameWorker;
  window.Worker = IFrameWorker;
})();
