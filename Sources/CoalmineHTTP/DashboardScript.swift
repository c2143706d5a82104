/// The dashboard's only script, served from the binary at `/assets/dashboard.js`: it listens to `/api/v1/events`
/// and, when a rollout on the page changes, fetches the page again (at most once a second) and swaps its content
/// in place, keeping the reader's focus where it was. Without it every page still works; it only saves a reload.
enum DashboardScript {
    static let source = """
        "use strict";
        (function () {
          if (!window.EventSource) return;
          let pending = null;
          let last = 0;
          // At most one fetch a second, the first 100 ms after a change: in an alert storm an open page must not
          // ask for itself once per commit.
          const gap = 1000;
          function shown(name) {
            const main = document.getElementById("main");
            if (!main) return false;
            if (main.querySelector('[data-live="all"]')) return true;
            return !!main.querySelector('[data-live="one"][data-rollout="' + CSS.escape(name) + '"]');
          }
          async function refresh() {
            pending = null;
            last = Date.now();
            const response = await fetch(location.href, { credentials: "same-origin", cache: "no-store" });
            if (!response.ok) return;
            const fresh = new DOMParser().parseFromString(await response.text(), "text/html").getElementById("main");
            const main = document.getElementById("main");
            if (!fresh || !main) return;
            const focused = document.activeElement && document.activeElement.getAttribute("aria-label");
            main.replaceChildren(...fresh.childNodes);
            document.body.dataset.refreshed = String(Date.now());
            if (focused) {
              const again = main.querySelector('[aria-label="' + CSS.escape(focused) + '"]');
              if (again) again.focus();
            }
          }
          const events = new EventSource("/api/v1/events");
          events.addEventListener("rollout", function (event) {
            let name = "";
            try { name = JSON.parse(event.data).name; } catch (e) { return; }
            if (shown(name) && !pending) pending = setTimeout(refresh, Math.max(100, last + gap - Date.now()));
          });
        })();
        """
}
