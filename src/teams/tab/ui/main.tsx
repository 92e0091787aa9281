/** Entry of the tab bundle (scripts/build-tab.ts). */
import { createRoot } from 'react-dom/client';
import { Root } from './App.tsx';

createRoot(document.getElementById('root')!).render(<Root />);
