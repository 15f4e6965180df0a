// Renders /api/v1/openapi.json as a readable page: every call, its parameters, body and answers.
// Built with DOM calls and textContent only, so nothing in the document can inject markup.
(function () {
  'use strict';
  var root = document.getElementById('api-docs');
  if (!root) { return; }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function resolve(spec, schema, depth) {
    // Inline $refs (a few levels deep) so each body reads on its own.
    if (!schema || typeof schema !== 'object' || depth > 6) { return schema; }
    if (Array.isArray(schema)) { return schema.map(function (s) { return resolve(spec, s, depth + 1); }); }
    if (schema.$ref) {
      var name = schema.$ref.split('/').pop();
      return resolve(spec, spec.components.schemas[name], depth + 1);
    }
    var out = {};
    Object.keys(schema).forEach(function (key) {
      if (key !== 'title' && key !== 'description') { out[key] = resolve(spec, schema[key], depth + 1); }
    });
    return out;
  }

  function schemaBlock(spec, schema) {
    return el('pre', 'small bg-body-tertiary p-2 mb-2 text-wrap text-break',
              JSON.stringify(resolve(spec, schema, 0), null, 2));
  }

  function render(spec) {
    root.textContent = '';
    if (spec.info && spec.info.description) { root.appendChild(el('p', '', spec.info.description)); }
    Object.keys(spec.paths).forEach(function (path) {
      var item = spec.paths[path];
      Object.keys(item).forEach(function (method) {
        var op = item[method];
        var card = el('section', 'card mb-3');
        var head = el('div', 'card-header text-break');
        head.appendChild(el('span', 'badge text-bg-primary me-2', method.toUpperCase()));
        head.appendChild(el('code', '', path));
        card.appendChild(head);
        var body = el('div', 'card-body');
        body.appendChild(el('h2', 'h6', op.summary));
        if (op.description) { body.appendChild(el('p', 'small', op.description)); }
        if (op.security) { body.appendChild(el('p', 'small text-body-secondary', 'Authorization: Bearer TOKEN')); }
        (op.parameters || []).forEach(function (p) {
          body.appendChild(el('div', 'small', p['in'] + ' ' + p.name + (p.required ? ' (required)' : '') +
                              ': ' + JSON.stringify(p.schema)));
        });
        if (op.requestBody) {
          body.appendChild(el('div', 'small fw-bold mt-2', 'Body'));
          body.appendChild(schemaBlock(spec, op.requestBody.content['application/json'].schema));
        }
        Object.keys(op.responses).forEach(function (status) {
          var answer = op.responses[status];
          body.appendChild(el('div', 'small fw-bold mt-2', status + ' ' + answer.description));
          if (answer.content && status.charAt(0) === '2') {
            body.appendChild(schemaBlock(spec, answer.content['application/json'].schema));
          }
        });
        card.appendChild(body);
        root.appendChild(card);
      });
    });
  }

  root.appendChild(el('p', 'text-body-secondary', root.getAttribute('data-loading')));
  fetch(root.getAttribute('data-spec'), { credentials: 'omit' })
    .then(function (response) { return response.json(); })
    .then(render)
    .catch(function (error) { root.textContent = String(error); });
}());
