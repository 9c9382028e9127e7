import type { Plugin } from 'esbuild';

export declare const inkRenderPatches: Plugin;
