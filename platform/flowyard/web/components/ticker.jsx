// Calls onTick every `interval` ms while mounted and the tab is visible (live status pages).
import { useEffect, useRef } from "react";

export function Ticker({ interval = 1000, onTick }) {
  const callback = useRef(onTick);
  callback.current = onTick;
  useEffect(() => {
    const id = setInterval(() => {
      if (!document.hidden && callback.current) callback.current();
    }, interval);
    return () => clearInterval(id);
  }, [interval]);
  return null;
}
