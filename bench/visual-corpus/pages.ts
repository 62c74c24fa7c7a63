/**
 * Realistic test pages for the visual-regression corpus: a form, cards, a table, a text-heavy article, a dashboard
 * with charts (inline SVG and canvas) and a photo gallery (Kodak photos as data URLs). Each page is generated from a
 * seed (palette, words, numbers, photos) and a set of modifications: benign rendering drift or a real regression.
 * Every page carries the same regression targets: `.t-icon`, `.t-btn`, `.t-block`, `.t-title`, `.t-text`.
 */
import { seededRandom } from '../../src/eval/statistics.js';

export type Mod =
  | 'subpixel' // the whole page offset by a fraction of a pixel
  | 'nudge' // main content 2 px lower, 1 px right
  | 'resample' // images drawn with nearest-neighbour resampling
  | 'removed' // a block removed (visibility: hidden)
  | 'colour' // the primary button's colour changed
  | 'moved' // a block moved by 32 px
  | 'text' // the title's text changed
  | 'icon' // the header icon swapped
  | 'fontsize'; // a paragraph's font size +3 px

export const TEMPLATES = ['form', 'cards', 'table', 'article', 'dashboard', 'gallery'] as const;
export type Template = (typeof TEMPLATES)[number];

const WORDS =
  'account billing report quarterly revenue customer order shipping invoice settings profile security notification analytics growth review summary project release team design market support update status payment region product sales target weekly monthly forecast pipeline'.split(
    ' ',
  );
const PALETTES = [
  ['#1f6feb', '#0b1f3a', '#f6f8fa', '#d0d7de'],
  ['#2da44e', '#1b2a1f', '#f7faf7', '#cfe3d4'],
  ['#8250df', '#231a36', '#faf8ff', '#ddd3f5'],
  ['#cf222e', '#2a1416', '#fff8f8', '#f0cfd2'],
  ['#bf8700', '#2b2210', '#fffbf0', '#eadbb0'],
];
const ICON_A = '<path d="M12 2l3 7h7l-5.5 4.5 2 7L12 16l-6.5 4.5 2-7L2 9h7z"/>'; // star
const ICON_B = '<path d="M12 21s-8-5.5-8-11a4.5 4.5 0 0 1 8-2.8A4.5 4.5 0 0 1 20 10c0 5.5-8 11-8 11z"/>'; // heart

export function pageHtml(template: Template, seed: number, mods: ReadonlySet<Mod>, photos: readonly string[]): string {
  const rand = seededRandom(seed * 7919 + TEMPLATES.indexOf(template) * 104729 + 1);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)];
  const words = (n: number) => Array.from({ length: n }, () => pick(WORDS)).join(' ');
  const cap = (s: string) => s[0].toUpperCase() + s.slice(1);
  const sentence = (n: number) => `${cap(words(n))}.`;
  const [primary, ink, bg, line] = PALETTES[Math.floor(rand() * PALETTES.length)];
  const btnColour = mods.has('colour') ? '#e36209' : primary;
  const title = mods.has('text') ? `${cap(words(2))} overview` : `${cap(words(2))} dashboard`;
  const icon = mods.has('icon') ? ICON_B : ICON_A;
  const photo = (i: number) => photos[(Math.floor(rand() * 1000) + i) % photos.length];
  const blockStyle = [
    mods.has('removed') ? 'visibility:hidden' : '',
    mods.has('moved') ? 'position:relative;left:32px;top:24px' : '',
  ].join(';');
  const textStyle = mods.has('fontsize') ? 'font-size:17px' : '';
  let main = '';
  switch (template) {
    case 'form':
      main = `<form class="card"><h2 class="t-title">${title}</h2><p class="t-text" style="${textStyle}">${sentence(14)}</p>
        ${['Full name', 'Email address', 'Company', 'Phone'].map((l) => `<label>${l}<input value="${cap(words(2))}"></label>`).join('')}
        <label>Plan<select><option>${cap(words(1))}</option></select></label>
        <div class="t-block row"><label class="check"><input type="checkbox" checked> ${sentence(5)}</label><label class="check"><input type="radio" checked> ${cap(words(2))}</label></div>
        <div class="row"><button type="button" class="t-btn">Save changes</button><button type="button" class="ghost">Cancel</button></div></form>`;
      break;
    case 'cards':
      main = `<h2 class="t-title">${title}</h2><p class="t-text" style="${textStyle}">${sentence(18)}</p><div class="grid">
        ${Array.from({ length: 6 }, (_, i) => `<div class="card ${i === 4 ? 't-block' : ''}"><img src="${photo(i)}"><h3>${cap(words(2))}</h3><p>${sentence(8)}</p>${i === 1 ? '<button class="t-btn">Open</button>' : '<button class="ghost">Details</button>'}</div>`).join('')}</div>`;
      break;
    case 'table': {
      const rows = Array.from(
        { length: 9 },
        (_, i) =>
          `<tr class="${i === 5 ? 't-block' : ''}"><td>#${1000 + Math.floor(rand() * 9000)}</td><td>${cap(words(2))}</td><td>${pick(['Paid', 'Pending', 'Overdue'])}</td><td class="num">${(rand() * 9999).toFixed(2)}</td></tr>`,
      ).join('');
      main = `<h2 class="t-title">${title}</h2><p class="t-text" style="${textStyle}">${sentence(16)}</p><table><thead><tr><th>Invoice</th><th>Customer</th><th>Status</th><th class="num">Amount</th></tr></thead><tbody>${rows}</tbody></table><button class="t-btn">Export CSV</button>`;
      break;
    }
    case 'article':
      main = `<article><h1 class="t-title">${title}</h1><p class="meta">${cap(words(3))} · ${Math.floor(rand() * 28) + 1} min read</p>
        <p class="t-text" style="${textStyle}">${sentence(40)} ${sentence(30)}</p><figure class="t-block"><img src="${photo(0)}" class="wide"><figcaption>${sentence(9)}</figcaption></figure>
        <p>${sentence(45)} ${sentence(35)}</p><p>${sentence(38)}</p><button class="t-btn">Subscribe</button></article>`;
      break;
    case 'dashboard': {
      const bars = Array.from({ length: 8 }, () => 20 + rand() * 100);
      const pts = Array.from({ length: 12 }, (_, i) => `${10 + i * 22},${110 - rand() * 90}`).join(' ');
      main = `<h2 class="t-title">${title}</h2><div class="grid4">${Array.from({ length: 4 }, () => `<div class="card kpi"><small>${cap(words(1))}</small><b>${(rand() * 999).toFixed(1)}k</b></div>`).join('')}</div>
        <div class="grid2"><div class="card t-block"><h3>${cap(words(2))}</h3><svg width="260" height="130">${bars.map((h, i) => `<rect x="${10 + i * 31}" y="${125 - h}" width="22" height="${h}" fill="${primary}"/>`).join('')}</svg></div>
        <div class="card"><h3>${cap(words(2))}</h3><svg width="260" height="130"><polyline points="${pts}" fill="none" stroke="${primary}" stroke-width="3"/></svg></div></div>
        <div class="grid2"><div class="card"><canvas id="pie" width="200" height="120"></canvas></div><div class="card"><p class="t-text" style="${textStyle}">${sentence(20)}</p><button class="t-btn">Refresh</button></div></div>
        <script>const c=document.getElementById('pie').getContext('2d');let a=0;[${Array.from({ length: 4 }, () => (0.1 + rand()).toFixed(3)).join(',')}].forEach((v,i,arr)=>{const s=arr.reduce((x,y)=>x+y);c.beginPath();c.moveTo(100,60);c.fillStyle=['${primary}','${ink}','${line}','#999'][i];c.arc(100,60,55,a,a+v/s*6.283);c.fill();a+=v/s*6.283;});</script>`;
      break;
    }
    case 'gallery':
      main = `<h2 class="t-title">${title}</h2><p class="t-text" style="${textStyle}">${sentence(12)}</p><div class="grid">${Array.from({ length: 6 }, (_, i) => `<figure class="${i === 2 ? 't-block' : ''}"><img src="${photo(i)}"><figcaption>${cap(words(2))}</figcaption></figure>`).join('')}</div><button class="t-btn">Load more</button>`;
      break;
  }
  const offset = mods.has('subpixel') ? 'transform:translate(0.4px,0.35px);' : '';
  const nudge = mods.has('nudge') ? 'padding-top:18px;padding-left:17px;' : '';
  return `<!doctype html><html><head><meta charset="utf-8"><style>
    body{margin:0;font:14px/1.45 "DejaVu Sans",sans-serif;color:${ink};background:${bg};${offset}}
    header{display:flex;align-items:center;gap:10px;padding:10px 16px;background:${ink};color:#fff}
    header svg{fill:${primary === '#bf8700' ? '#ffd666' : '#fff'}} header nav{margin-left:auto;display:flex;gap:14px;font-size:13px}
    main{padding:16px;${nudge}} .card{background:#fff;border:1px solid ${line};border-radius:8px;padding:12px}
    h1,h2{margin:4px 0 8px} h3{margin:6px 0;font-size:15px} p{margin:6px 0}
    label{display:block;margin:6px 0;font-size:13px} input,select{display:block;width:100%;box-sizing:border-box;padding:6px;border:1px solid ${line};border-radius:4px;font:inherit}
    .check{display:inline-flex;gap:6px;margin-right:16px} .check input{width:auto}
    .row{display:flex;gap:8px;margin-top:8px} button{padding:7px 14px;border-radius:6px;border:0;font:inherit;color:#fff;background:${primary}}
    .t-btn{background:${btnColour}} button.ghost{background:transparent;color:${ink};border:1px solid ${line}}
    .grid{display:grid;grid-template-columns:repeat(3,1fr);gap:10px} .grid4{display:grid;grid-template-columns:repeat(4,1fr);gap:10px;margin-bottom:10px}
    .grid2{display:grid;grid-template-columns:1fr 1fr;gap:10px;margin-bottom:10px} .kpi b{display:block;font-size:22px}
    img{width:100%;height:90px;object-fit:cover;border-radius:4px;${mods.has('resample') ? 'image-rendering:pixelated' : ''}} img.wide{height:150px}
    figure{margin:0} figcaption{font-size:12px;opacity:.8} table{width:100%;border-collapse:collapse;background:#fff;margin:8px 0}
    th,td{padding:5px 8px;border-bottom:1px solid ${line};text-align:left} .num{text-align:right} .meta{opacity:.7;font-size:12px}
    .t-block{${blockStyle}}
  </style></head><body><header><svg class="t-icon" width="24" height="24" viewBox="0 0 24 24">${icon}</svg><b>${cap(words(1))}</b>
  <nav><span>${cap(words(1))}</span><span>${cap(words(1))}</span><span>${cap(words(1))}</span></nav></header><main>${main}</main></body></html>`;
}
