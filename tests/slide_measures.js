// What a lecturer sees on the current slide of a reveal.js deck, measured on screen.
// tests/test_slides.py evaluates this file in the deck's page as `(args) => {...}`:
//   args.what === "clip":  clipping in the current fragment state only (cheap: run after every key);
//   args.what === "slide": everything else, with every fragment shown.
// Sizes are screen pixels (CSS px of the slide times reveal's scale) unless named otherwise.
(args) => {
    const Reveal = window.__reveal;
    const slide = Reveal.getCurrentSlide();
    const at = Reveal.getIndices();  // with no argument it tells the fragment shown too
    const scale = Reveal.getScale();
    const area = Reveal.getSlidesElement().getBoundingClientRect();
    // The slide area: reveal's width x height canvas as drawn on the screen.
    const box = {left: area.left, top: area.top,
                 right: area.left + Reveal.getConfig().width * scale,
                 bottom: area.top + Reveal.getConfig().height * scale};
    const label = (el) => {
        const text = (el.textContent || '').replace(/\s+/g, ' ').replace('\u00b6', '').trim();
        const cls = typeof el.className === 'string' && el.className.trim()
            ? '.' + el.className.trim().split(/\s+/)[0] : '';
        return `<${el.tagName.toLowerCase()}${cls}> "${text.slice(0, 40)}"`;
    };
    // Shown: on the slide (not in the notes, not a fragment still to come), rendered and visible.
    const shown = (el) => {
        if (el.closest('aside.notes, .fragment:not(.visible), script, style, .MJX_Assistive_MathML')) {
            return false;
        }
        const style = getComputedStyle(el);
        return style.display !== 'none' && style.visibility !== 'hidden';
    };
    const inMath = (el) => !!el.closest('.MathJax_CHTML, .mjx-chtml, .MathJax_Display, .MJXc-display, .MathJax_Preview');
    const isCode = (el) => !!el.closest('pre, code, .jp-InputArea-editor, .jp-RenderedText');

    if (args.what === 'clip') {
        // Every shown element inside the slide area, and no shown element whose content runs past a
        // box that clips or scrolls it (a scroll bar, or text cut off).
        const clipped = [], outside = new Map();
        for (const el of [slide, ...slide.querySelectorAll('*')]) {
            // An equation and a code block are measured as a whole, not span by span.
            if (el.parentElement.closest('.mjx-chtml, pre') || !shown(el)) continue;
            const r = el.getBoundingClientRect();
            if (r.width === 0 && r.height === 0) continue;
            const out = Math.round(Math.max(box.left - r.left, r.right - box.right, box.top - r.top, r.bottom - box.bottom));
            if (out > 1) {
                outside.set(el, out);
                // Reported once, on the outermost element that is outside by as much.
                if (!(outside.get(el.parentElement) >= out)) clipped.push(`${label(el)} ${out} px outside the slide`);
            }
            const style = getComputedStyle(el);
            if (el.tagName === 'PRE' && el.scrollWidth > el.clientWidth + 1) {
                // pre-wrap breaks at spaces only: a longer run of characters sticks out.
                clipped.push(`${label(el)}: a word ${Math.round((el.scrollWidth - el.clientWidth) * scale)} px ` +
                             `wider than its block`);
                continue;
            }
            const right = style.overflowX !== 'visible' ? Math.round((el.scrollWidth - el.clientWidth) * scale) : 0;
            const down = style.overflowY !== 'visible' ? Math.round((el.scrollHeight - el.clientHeight) * scale) : 0;
            if (right > 1) clipped.push(`${label(el)} cut off: ${right} px on the right`);
            if (down > 1) clipped.push(`${label(el)} cut off: ${down} px at the bottom`);
        }
        return {h: at.h, v: at.v || 0, f: at.f === undefined ? -1 : at.f, clipped,
                fragmentsLeft: slide.querySelectorAll('.fragment:not(.visible)').length};
    }

    // 1. Fonts: the smallest code and prose on screen (math and the animation's controls aside).
    let minCode = null, minProse = null;
    const smallest = {code: null, prose: null};
    const texts = document.createTreeWalker(slide, NodeFilter.SHOW_TEXT);
    while (texts.nextNode()) {
        const node = texts.currentNode, el = node.parentElement;
        if (!node.textContent.trim() || !shown(el) || inMath(el) || el.closest('.anim-controls, .anchor-link, svg')) continue;
        const px = parseFloat(getComputedStyle(el).fontSize) * scale;
        const kind = isCode(el) ? 'code' : 'prose';
        if (kind === 'code' && (minCode === null || px < minCode)) { minCode = px; smallest.code = label(el); }
        if (kind === 'prose' && (minProse === null || px < minProse)) { minProse = px; smallest.prose = label(el); }
    }

    // 2. Title: the slide's first shown text is in a heading; where it is and how it looks.
    let heading = null;
    const walker = document.createTreeWalker(slide, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const el = walker.currentNode.parentElement;
        if (!walker.currentNode.textContent.trim() || !shown(el) || el.closest('.anchor-link')) continue;
        heading = el.closest('h1, h2');
        break;
    }
    const headingStyle = heading ? getComputedStyle(heading) : null;
    // The title as read: typeset math once (not also its TeX source and its MathML copy).
    const readable = (el) => {
        const copy = el.cloneNode(true);
        copy.querySelectorAll('.MJX_Assistive_MathML, script, .MathJax_Preview, .anchor-link').forEach(x => x.remove());
        return copy.textContent.replace(/\s+/g, ' ').trim();
    };
    const title = heading ? {
        text: readable(heading),
        tag: heading.tagName.toLowerCase(),
        top: (heading.getBoundingClientRect().top - box.top) / scale,  // CSS px of the slide
        px: parseFloat(headingStyle.fontSize) * scale,
        align: headingStyle.textAlign,
        transform: headingStyle.textTransform,
    } : null;

    // 3. Code: lines of code cells' input and of code blocks in markdown; cells that only assert.
    let codeLines = 0;
    const assertOnly = [];
    for (const pre of slide.querySelectorAll('.jp-InputArea pre')) {
        if (pre.closest('aside.notes')) continue;
        const lines = pre.textContent.replace(/\n+$/, '').split('\n');
        codeLines += lines.length;
        const statements = lines.map(line => line.trim()).filter(line => line && !line.startsWith('#'));
        if (pre.closest('.jp-CodeCell') && statements.length && statements.every(line => /^assert\b/.test(line)
                                                                                    || /^[)\]},"']/.test(line))) {
            assertOnly.push(statements[0].slice(0, 60));
        }
    }

    // 4. Wrapping of code and output: a run of non-space characters drawn on more than one line is
    //    a break inside a word or number; the blocks' CSS must allow breaks at spaces only.
    const midWord = [], wrapStyle = [];
    for (const pre of slide.querySelectorAll('pre')) {
        if (!shown(pre)) continue;
        const style = getComputedStyle(pre);
        if (style.wordBreak !== 'normal' || style.overflowWrap !== 'normal' || style.whiteSpace !== 'pre-wrap') {
            wrapStyle.push(`${label(pre)}: white-space ${style.whiteSpace}, word-break ${style.wordBreak}, ` +
                           `overflow-wrap ${style.overflowWrap}`);
        }
        const nodes = [], starts = [];
        let text = '';
        const w = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
        while (w.nextNode()) { starts.push(text.length); nodes.push(w.currentNode); text += w.currentNode.textContent; }
        const locate = (offset) => {
            let i = starts.length - 1;
            while (i > 0 && starts[i] > offset) i--;
            return [nodes[i], offset - starts[i]];
        };
        const lineHeight = (parseFloat(style.lineHeight) || 1.2 * parseFloat(style.fontSize)) * scale;
        const range = document.createRange();
        for (const match of text.matchAll(/\S{2,}/g)) {
            range.setStart(...locate(match.index));
            const [node, offset] = locate(match.index + match[0].length - 1);
            range.setEnd(node, offset + 1);
            const middles = [...range.getClientRects()].filter(r => r.width > 0).map(r => (r.top + r.bottom) / 2);
            if (middles.length > 1 && Math.max(...middles) - Math.min(...middles) > lineHeight / 2) {
                midWord.push(match[0].slice(0, 40));
            }
        }
    }

    // 5. Figures: a PNG gives its on-screen scale and the dpi it was drawn at (with the figure
    //    style's font sizes, that makes its text size); an SVG gives its smallest text directly.
    const figures = [];
    const svgText = (svg, width) => {
        const viewBox = svg.getAttribute('viewBox');
        const view = viewBox ? parseFloat(viewBox.split(/[\s,]+/)[2]) : parseFloat(svg.getAttribute('width'));
        const sizes = [...svg.querySelectorAll('text')].map(t => parseFloat(
            t.getAttribute('font-size') || (t.style && t.style.fontSize) || 'NaN')).filter(x => x > 0);
        return sizes.length ? Math.min(...sizes) * width / view : null;
    };
    const selector = '.jp-RenderedImage img, .jp-RenderedSVG img, .jp-RenderedMarkdown img, .animation img, svg';
    for (const img of slide.querySelectorAll(selector)) {
        if (!shown(img) || inMath(img) || (img.parentElement && img.parentElement.closest('svg'))) continue;
        const r = img.getBoundingClientRect();
        const figure = {width: Math.round(r.width), height: Math.round(r.height)};
        if (img.tagName.toLowerCase() === 'svg') {
            figure.kind = 'svg';
            figure.textPx = svgText(img, r.width);
        } else if (img.src.startsWith('data:image/svg')) {
            const data = img.src.slice(img.src.indexOf(',') + 1);
            const text = img.src.includes(';base64,') ? atob(data) : decodeURIComponent(data);
            figure.kind = 'svg';
            figure.textPx = svgText(new DOMParser().parseFromString(text, 'image/svg+xml').documentElement, r.width);
        } else {
            // A PNG, or a JPEG frame of an animation: matplotlib writes the dpi into both.
            figure.kind = 'png';
            figure.scale = r.width / img.naturalWidth;
            const head = atob(img.src.slice(img.src.indexOf(',') + 1).slice(0, 4000));
            const bytes = (at, n) => [...Array(n).keys()].reduce((v, i) => v * 256 + head.charCodeAt(at + i), 0);
            const png = head.indexOf('pHYs'), jfif = head.indexOf('JFIF\0');
            if (img.src.startsWith('data:image/png') && png > 0) {
                figure.dpi = Math.round(bytes(png + 4, 4) * 0.0254);  // pixels per metre
            } else if (img.src.startsWith('data:image/jpeg') && jfif > 0 && bytes(jfif + 7, 1) === 1) {
                figure.dpi = bytes(jfif + 8, 2);  // density in dots per inch
            }
        }
        figures.push(figure);
    }

    return {h: at.h, v: at.v || 0, number: Reveal.getSlidePastCount(slide) + 1, minCode, minProse,
            smallest, title, codeLines, assertOnly, midWord, wrapStyle, figures,
            nbval: slide.textContent.includes('NBVAL_')};
}
