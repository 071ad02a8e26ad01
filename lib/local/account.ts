/** The account and region the local stand-ins put in ARNs, queue URLs and events. */
export const LOCAL_ACCOUNT_ID = '000000000000';
export const LOCAL_REGION = 'local';
