export declare const SEA_NAME: string;
/** Why this machine cannot build the single executable, or undefined when it can. */
export declare function seaUnsupportedReason(): string | undefined;
