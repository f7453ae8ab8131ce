// course-rise-compat: a JupyterLab federated extension of the course, written by hand (no build).
//
// Why: the RISE slideshow of jupyterlab-rise 0.43.1 (/rise/<path>) is an application of its own,
// built with JupyterLab 4.3's packages, and it does not share @jupyterlab/console.  ipywidgets 8's
// JupyterLab extension (@jupyter-widgets/jupyterlab-manager, every jupyterlab_widgets 3.x) takes
// IConsoleTracker from that package as an *optional* plugin token, yet webpack needs the package
// itself before it runs a line of the extension: without it the extension fails to load ("Shared
// module @jupyterlab/console doesn't exist in shared scope default") and no widget renders in the
// slideshow (jupyterlab-contrib/rise issue #119).
//
// What: every application calls init() of every federated extension with its webpack share scope
// before it loads any extension's code.  Where @jupyterlab/console is missing from that scope (the
// RISE app only), init() adds a stand-in module that exports nothing but an IConsoleTracker token
// which no plugin provides, so the widget manager activates without console support, which a
// slideshow has no use for.  In JupyterLab itself the real package is in the scope and this does
// nothing.  The stand-in announces version 0.0.0-course-stand-in: webpack logs that it does not
// satisfy the widget manager's range and uses it (no strict versions for shared singletons).
// tests/test_rise.py checks the widgets in the slideshow; delete this folder (and its lines in
// the Makefile) once a jupyterlab-rise release shares @jupyterlab/console itself.
var _JUPYTERLAB;
(_JUPYTERLAB = typeof _JUPYTERLAB === "undefined" ? {} : _JUPYTERLAB)["course-rise-compat"] = (function () {
  "use strict";
  var MISSING = "@jupyterlab/console";
  var VERSION = "0.0.0-course-stand-in";

  function standIn(scope) {
    // The token class comes from the application's own @lumino/coreutils (any version it shares).
    var coreutils = scope["@lumino/coreutils"];
    var version = Object.keys(coreutils)[0];
    return Promise.resolve(coreutils[version].get()).then(function (factory) {
      var Token = factory().Token;
      var module = {
        IConsoleTracker: new Token(MISSING + ":IConsoleTracker",
                                   "A stand-in: no console in the RISE slideshow.")
      };
      return function () { return module; };
    });
  }

  return {
    init: function (scope) {
      if (!scope || scope[MISSING] || !scope["@lumino/coreutils"]) {
        return;
      }
      scope[MISSING] = {};
      scope[MISSING][VERSION] = {
        from: "course-rise-compat",
        eager: false,
        loaded: 1,
        get: function () { return standIn(scope); }
      };
    },
    get: function (module) {
      return Promise.reject(new Error("course-rise-compat provides no module " + module));
    }
  };
})();
