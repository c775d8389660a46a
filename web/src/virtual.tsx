import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

interface Props {
  count: number;
  rowHeight: number;
  /** One row; only the rows in view (plus a few) are ever rendered, so the DOM stays small. */
  row: (i: number) => ComponentChildren;
  class?: string;
  testid?: string;
  /** Keep the view scrolled to the end as rows arrive (until the user scrolls up). */
  stickToEnd?: boolean;
  empty?: ComponentChildren;
  /** Told when the view leaves the end (the user scrolled up) or comes back to it. */
  onPinnedChange?: (pinned: boolean) => void;
  /** Changing this number scrolls to the end. */
  toEnd?: number;
}

const OVERSCAN = 8;

/** A scrolling list of fixed-height rows that renders only the visible window. */
export function VirtualList(p: Props) {
  const box = useRef<HTMLDivElement>(null);
  const [top, setTop] = useState(0);
  const [height, setHeight] = useState(400);
  // Whether the view sits at the end; scrolling up un-pins it, scrolling back down pins it again.
  const pinned = useRef(true);

  useEffect(() => {
    const el = box.current!;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    setHeight(el.clientHeight);
    return () => ro.disconnect();
  }, []);

  useLayoutEffect(() => {
    const el = box.current!;
    if (p.stickToEnd && pinned.current && el.scrollHeight > el.clientHeight) {
      el.scrollTop = el.scrollHeight;
      setTop(el.scrollTop);
    }
  });

  useEffect(() => {
    if (p.toEnd === undefined) return;
    const el = box.current!;
    pinned.current = true;
    el.scrollTop = el.scrollHeight;
  }, [p.toEnd]);

  const onScroll = () => {
    const el = box.current!;
    const now = el.scrollTop + el.clientHeight >= el.scrollHeight - p.rowHeight;
    if (now !== pinned.current) p.onPinnedChange?.(now);
    pinned.current = now;
    setTop(el.scrollTop);
  };

  const first = Math.max(0, Math.floor(top / p.rowHeight) - OVERSCAN);
  const last = Math.min(p.count, Math.ceil((top + height) / p.rowHeight) + OVERSCAN);
  const rows: ComponentChildren[] = [];
  for (let i = first; i < last; i++) {
    rows.push(<div key={i} class="vrow" style={{ top: `${i * p.rowHeight}px`, height: `${p.rowHeight}px` }}>{p.row(i)}</div>);
  }
  return (
    <div ref={box} class={`vlist ${p.class ?? ''}`} data-testid={p.testid} data-count={p.count} onScroll={onScroll}>
      {p.count === 0 && p.empty ? <div class="vempty">{p.empty}</div> : null}
      <div class="vspace" style={{ height: `${p.count * p.rowHeight}px` }}>{rows}</div>
    </div>
  );
}
