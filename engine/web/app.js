// qoltanba review page: plain JavaScript, no framework, no build step. It talks to the same
// JSON API as any client (GET /submissions, GET /submissions/{id}, .../questionnaire.pdf,
// POST .../approve, POST .../return) with the reviewer's bearer token, kept for this tab only.
'use strict';

const T = {
  ru: {
    title: 'Проверка заявок', lang: 'Язык', logout: 'Выйти', token: 'Токен доступа',
    signin: 'Войти', status: 'Статус', search: 'Поиск', refresh: 'Обновить', key: 'Заявка',
    applicant: 'ИИН/БИН', reason: 'Причина', received: 'Получено', empty: 'Нет заявок.',
    back: '← К списку', submission: 'Заявка', signers: 'Подписи',
    findings: 'Замечания предварительной проверки', pdf: 'Анкета (PDF)',
    open_pdf: 'Открыть анкету', history: 'История', decision: 'Решение', remark: 'Замечание',
    approve: 'Одобрить', return: 'Вернуть на доработку', st_ALL: 'Все',
    st_PENDING: 'Ожидает проверки', st_APPROVED: 'Одобрено', st_RETURNED: 'Возвращено',
    st_REJECTED: 'Отклонено', st_ERROR: 'Ошибка', st_SUPERSEDED: 'Заменено',
    bad_token: 'Токен не принят.', need_remark: 'Укажите, что заявителю нужно исправить.',
    approved: 'Заявка одобрена.', returned: 'Заявка возвращена на доработку.',
    no_findings: 'Замечаний нет.', signer: 'Подписант', iin: 'ИИН', bin: 'БИН', roles: 'Роли',
    signing_time: 'Время подписи', document: 'Документ', outcome: 'Итог', kind: 'Тип заявителя',
    app_id: 'Номер заявления', none: '—', failed: 'Ошибка запроса',
  },
  kk: {
    title: 'Өтінімдерді тексеру', lang: 'Тіл', logout: 'Шығу', token: 'Кіру токені',
    signin: 'Кіру', status: 'Мәртебе', search: 'Іздеу', refresh: 'Жаңарту', key: 'Өтінім',
    applicant: 'ЖСН/БСН', reason: 'Себебі', received: 'Келіп түсті', empty: 'Өтінімдер жоқ.',
    back: '← Тізімге', submission: 'Өтінім', signers: 'Қолтаңбалар',
    findings: 'Алдын ала тексеру ескертпелері', pdf: 'Сауалнама (PDF)',
    open_pdf: 'Сауалнаманы ашу', history: 'Тарих', decision: 'Шешім', remark: 'Ескертпе',
    approve: 'Мақұлдау', return: 'Пысықтауға қайтару', st_ALL: 'Барлығы',
    st_PENDING: 'Тексеруді күтуде', st_APPROVED: 'Мақұлданды', st_RETURNED: 'Қайтарылды',
    st_REJECTED: 'Қабылданбады', st_ERROR: 'Қате', st_SUPERSEDED: 'Ауыстырылды',
    bad_token: 'Токен қабылданбады.', need_remark: 'Өтініш берушіге не түзету керегін жазыңыз.',
    approved: 'Өтінім мақұлданды.', returned: 'Өтінім пысықтауға қайтарылды.',
    no_findings: 'Ескертпелер жоқ.', signer: 'Қол қоюшы', iin: 'ЖСН', bin: 'БСН', roles: 'Рөлдер',
    signing_time: 'Қол қойылған уақыт', document: 'Құжат', outcome: 'Нәтиже',
    kind: 'Өтініш беруші түрі', app_id: 'Өтініш нөмірі', none: '—', failed: 'Сұрау қатесі',
  },
};

const $ = (id) => document.getElementById(id);
let lang = localStorage.getItem('qtb-lang') || 'ru';
let current = null; // the submission shown
let pdfUrl = null;

function t(k) { return (T[lang] && T[lang][k]) || T.ru[k] || k; }

function translate() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll('[data-t]')) {
    el.textContent = t(el.dataset.t);
  }
  $('lang').value = lang;
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function badge(v) { return el('span', v ? (t('st_' + v) !== 'st_' + v ? t('st_' + v) : v) : t('none'), 'badge ' + (v || '')); }

async function api(method, path, body) {
  const opts = { method, headers: { Authorization: 'Bearer ' + sessionStorage.getItem('qtb-token') } };
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  const r = await fetch(path, opts);
  if (r.status === 401) {
    logout(t('bad_token'));
    throw new Error(t('bad_token'));
  }
  return r;
}

async function json(method, path, body) {
  const r = await api(method, path, body);
  const j = await r.json();
  if (!r.ok) throw new Error(j.error || (t('failed') + ' ' + r.status));
  return j;
}

function show(section) {
  for (const id of ['login', 'queue', 'detail']) $(id).hidden = id !== section;
  $('logout').hidden = section === 'login';
}

function logout(msg) {
  sessionStorage.removeItem('qtb-token');
  $('login-error').textContent = msg || '';
  show('login');
}

async function login(ev) {
  ev.preventDefault();
  sessionStorage.setItem('qtb-token', $('token').value.trim());
  $('token').value = '';
  try {
    await json('GET', '/submissions?status=PENDING');
    $('login-error').textContent = '';
    await loadList();
  } catch (e) {
    $('login-error').textContent = e.message;
  }
}

async function loadList() {
  const st = $('status-filter').value;
  const rows = await json('GET', '/submissions' + (st ? '?status=' + encodeURIComponent(st) : ''));
  const q = $('search').value.trim().toLowerCase();
  const tb = $('list').querySelector('tbody');
  tb.replaceChildren();
  let n = 0;
  for (const s of rows) {
    const hay = [s.key, s.applicant_iin, s.applicant_bin, s.application_id].join(' ').toLowerCase();
    if (q && !hay.includes(q)) continue;
    const tr = el('tr');
    tr.dataset.id = s.id;
    tr.append(el('td', s.id), el('td', s.key), el('td', s.applicant_bin || s.applicant_iin || t('none')));
    const st2 = el('td');
    st2.append(badge(s.status));
    tr.append(st2, el('td', s.reason || ''), el('td', s.received_at || ''));
    tr.addEventListener('click', () => openSubmission(s.id));
    tb.append(tr);
    n++;
  }
  $('empty').hidden = n > 0;
  show('queue');
}

function dl(pairs) {
  const d = $('d-summary');
  d.replaceChildren();
  for (const [k, v] of pairs) d.append(el('dt', t(k)), el('dd', v === null || v === undefined || v === '' ? t('none') : v));
}

function renderValidations(sub) {
  const box = $('d-validations');
  box.replaceChildren();
  const docs = {};
  for (const d of sub.documents || []) docs[d.id] = d.name;
  for (const v of sub.validations || []) {
    const div = el('div', null, 'validation');
    const h = el('p');
    h.append(el('strong', docs[v.document_id] || ('#' + v.document_id)), ' ', badge(v.indication));
    if (v.subindication) h.append(' ', el('span', v.subindication, 'badge'));
    div.append(h);
    if (v.message) div.append(el('p', v.message));
    if (v.error) div.append(el('p', v.error, 'error'));
    for (const s of v.signatures || []) {
      const sd = el('dl');
      let roles = s.signer_roles_json || s.signer_roles || '';
      if (Array.isArray(roles)) roles = roles.join(', ');
      for (const [k, val] of [['signer', s.signer_name], ['iin', s.signer_iin], ['bin', s.signer_bin],
                              ['roles', roles], ['signing_time', s.signing_time || s.best_signature_time]]) {
        sd.append(el('dt', t(k)), el('dd', val || t('none')));
      }
      const vd = el('dd');
      vd.append(badge(s.indication), ' ', s.subindication || '', ' ', s.message || '');
      sd.append(el('dt', t('outcome')), vd);
      div.append(sd);
    }
    box.append(div);
  }
}

async function openSubmission(id) {
  const sub = await json('GET', '/submissions/' + id);
  current = sub;
  $('d-key').textContent = sub.key;
  $('d-id').textContent = sub.id;
  const st = el('span');
  st.append(badge(sub.status));
  dl([['status', sub.status], ['reason', sub.reason], ['kind', sub.applicant_kind],
      ['iin', sub.applicant_iin], ['bin', sub.applicant_bin], ['app_id', sub.application_id],
      ['received', sub.received_at]]);
  renderValidations(sub);
  const fl = $('d-findings');
  fl.replaceChildren();
  for (const f of sub.findings || []) {
    const li = el('li');
    li.append(el('span', f.severity, 'badge'), ' ', el('code', f.code), ' ', f.message);
    fl.append(li);
  }
  if (!fl.children.length) fl.append(el('li', t('no_findings')));
  const hl = $('d-history');
  hl.replaceChildren();
  for (const h of sub.history || []) {
    hl.append(el('li', `${h.at}: ${h.from || ''} → ${h.to} (${h.reviewer || ''})${h.remark ? ': ' + h.remark : ''}`));
  }
  $('d-pdf').hidden = !(sub.documents || []).some((d) => d.name === 'questionnaire.pdf');
  $('d-pdf-frame').hidden = true;
  if (pdfUrl) { URL.revokeObjectURL(pdfUrl); pdfUrl = null; }
  $('decide').hidden = sub.status !== 'PENDING';
  $('remark').value = '';
  $('d-message').textContent = '';
  show('detail');
}

async function openPdf() {
  const r = await api('GET', '/submissions/' + current.id + '/questionnaire.pdf');
  if (!r.ok) { $('d-message').textContent = t('failed') + ' ' + r.status; return; }
  const blob = await r.blob();
  if (pdfUrl) URL.revokeObjectURL(pdfUrl);
  pdfUrl = URL.createObjectURL(blob);
  const f = $('d-pdf-frame');
  f.dataset.size = String(blob.size);
  f.src = pdfUrl;
  f.hidden = false;
}

async function decide(approve) {
  const remark = $('remark').value.trim();
  if (!approve && !remark) { $('d-message').textContent = t('need_remark'); return; }
  try {
    await json('POST', `/submissions/${current.id}/${approve ? 'approve' : 'return'}`, remark ? { remark } : {});
    await openSubmission(current.id);
    $('d-message').textContent = t(approve ? 'approved' : 'returned');
  } catch (e) {
    $('d-message').textContent = e.message;
  }
}

function guard(fn) {
  return (...a) => fn(...a).catch((e) => { $('d-message').textContent = e.message; });
}

document.addEventListener('DOMContentLoaded', () => {
  translate();
  $('lang').addEventListener('change', () => {
    lang = $('lang').value;
    localStorage.setItem('qtb-lang', lang);
    translate();
    if (!$('detail').hidden && current) openSubmission(current.id);
  });
  $('login-form').addEventListener('submit', login);
  $('logout').addEventListener('click', () => logout(''));
  $('refresh').addEventListener('click', guard(loadList));
  $('status-filter').addEventListener('change', guard(loadList));
  $('search').addEventListener('input', guard(loadList));
  $('back').addEventListener('click', guard(loadList));
  $('d-pdf').addEventListener('click', guard(openPdf));
  $('approve').addEventListener('click', () => decide(true));
  $('return').addEventListener('click', () => decide(false));
  if (sessionStorage.getItem('qtb-token')) guard(loadList)(); else show('login');
});
