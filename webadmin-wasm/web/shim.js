// The panel's only hand-written JavaScript: fetch for the C++ code (main.cpp), which
// gets the answer back in Module.onFetchDone(id, status, text); status 0 means no answer.
Module['httvpsFetch'] = function (id, method, url, token, body) {
  var headers = {};
  if (token) headers['Authorization'] = 'Bearer ' + token;
  if (body) headers['Content-Type'] = 'application/json';
  fetch(url, {method: method, headers: headers, body: body || undefined, credentials: 'omit', cache: 'no-store'})
    .then(function (r) { return r.text().then(function (t) { Module['onFetchDone'](id, r.status, t); }); })
    .catch(function () { Module['onFetchDone'](id, 0, ''); });
};
